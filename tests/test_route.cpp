#include <catch2/catch.hpp>

#include "route.hpp"
