#include "secret.hpp"
