#include "scripted_peer.hpp"
