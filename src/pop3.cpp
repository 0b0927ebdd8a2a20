#include "pop3.hpp"
