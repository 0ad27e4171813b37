// Periodic events: publishes make() to a room every `period` on the HTTP
// server's I/O threads (a timer on its io_context, no thread of its own),
// only while the room has subscribers; and, unless snapshot is false, makes
// make() the room's snapshot, so a new subscriber gets the current value at
// once instead of waiting for the next tick. make() never runs twice at
// once (the helper serialises it), but it runs on I/O threads: it must be
// quick (read the latest sample, do not take one).
//
//   publish_periodically(http_server, hub, "metrics", "metrics_update",
//                        std::chrono::seconds(2), [&] { return build(); });
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "server/events/event_hub.h"
#include "server/http/http_server.h"

namespace impetus {

void publish_periodically(http::HttpServer& server, EventHub& hub, std::string room,
                          std::string type, std::chrono::milliseconds period,
                          std::function<nlohmann::json()> make, bool snapshot = true);

}  // namespace impetus
