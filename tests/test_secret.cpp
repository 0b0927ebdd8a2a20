#include <catch2/catch.hpp>

#include "secret.hpp"
