#include <catch2/catch.hpp>

#include "errors.hpp"
