#include "data_writer.hpp"
