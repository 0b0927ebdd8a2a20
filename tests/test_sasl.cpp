#include <catch2/catch.hpp>

#include "sasl.hpp"
