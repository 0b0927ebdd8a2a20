#include "smtp_reply.hpp"
