// The version of Impetus reported by --version and the server.
#pragma once

namespace impetus::app {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace impetus::app
