#include "smtp_session.hpp"
