#include <catch2/catch.hpp>

#include "smtp_caps.hpp"
