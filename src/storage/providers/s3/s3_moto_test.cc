// S3 provider tests against moto_server (filled in below).
#include <gtest/gtest.h>
