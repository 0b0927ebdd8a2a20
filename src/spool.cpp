#include "spool.hpp"
