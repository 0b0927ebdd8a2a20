#include "smtp_caps.hpp"
