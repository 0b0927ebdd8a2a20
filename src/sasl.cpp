#include "sasl.hpp"
