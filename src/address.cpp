#include "address.hpp"
