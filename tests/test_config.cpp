#include <catch2/catch.hpp>

#include "config.hpp"
