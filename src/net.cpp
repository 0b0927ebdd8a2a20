#include "net.hpp"
