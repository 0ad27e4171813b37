#include "server/events/periodic.h"

#include <memory>
#include <mutex>

namespace impetus {

void publish_periodically(http::HttpServer& server, EventHub& hub, std::string room,
                          std::string type, std::chrono::milliseconds period,
                          std::function<nlohmann::json()> make, bool snapshot) {
  struct Source {
    std::mutex mu;
    std::function<nlohmann::json()> make;
    nlohmann::json call() {
      std::lock_guard lock(mu);
      return make();
    }
  };
  auto source = std::make_shared<Source>();
  source->make = std::move(make);
  if (snapshot) {
    hub.set_snapshot(room, [source, type]() -> std::optional<Event> {
      return Event{type, source->call()};
    });
  }
  server.add_timer(period, [&hub, source, room = std::move(room), type = std::move(type)] {
    hub.publish_lazy(room, type, [&] { return source->call(); });
  });
}

}  // namespace impetus
