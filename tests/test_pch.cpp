// The translation unit that builds tests/test_pch.hpp's precompiled header (dps_test_pch_owner in
// tests/CMakeLists.txt); it has no code of its own.
