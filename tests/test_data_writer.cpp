#include <catch2/catch.hpp>

#include "data_writer.hpp"
