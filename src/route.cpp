#include "route.hpp"
