// The headers nearly every test translation unit includes, precompiled once for all test targets
// (cmake/build_speed.cmake, dps_test_pch). Only third-party and standard headers: our own change
// too often to be worth precompiling, and each file still includes what it uses.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <tl/expected.hpp>
#include <vector>
