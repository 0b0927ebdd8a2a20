#include "tls.hpp"
