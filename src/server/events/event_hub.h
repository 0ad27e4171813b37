// EventHub: live events for WebSocket clients (docs/events.md). Producers
// anywhere in the server call publish(room, type, data); the hub wraps the
// data in the versioned envelope
//   {"type": ..., "room": ..., "ts": <unix ms>, "schema_version": 1, "data": {...}}
// serialises it once, and queues it on every client subscribed to the room.
//
// - Cheap when nobody listens: publish() is one map lookup under a shared
//   lock, and publish_lazy() does not even build the data.
// - Never blocks on a client: each client's WebSocket has a bounded queue
//   (http::WebSocket). Frames of the metric types (metrics_update,
//   hardware_status) are coalesced: a slow client gets only the latest.
//   Other events queue up to the limit; past it the client is dropped with a
//   close frame. Clients whose socket has gone are forgotten on the next
//   publish to them.
// - Rooms: metrics, hardware, models, downloads, benchmarks, logs; a task's
//   own room "downloads:<task_id>" / "benchmarks:<run_id>" gets that task's
//   events, and publishing to it also reaches the parent room's subscribers
//   (each client gets an event once).
// - A room may have a snapshot provider: right after a client subscribes it
//   gets the provider's current event (e.g. the latest metrics_update).
//
// Thread-safe: every method may be called from any thread. Subscription
// requests arrive through EventSocket (event_socket.h); tests may drive a
// hub directly with fake WebSockets.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "server/http/websocket.h"

namespace impetus {

inline constexpr int kEventSchemaVersion = 1;

// Room names.
namespace rooms {
inline constexpr std::string_view kMetrics = "metrics";
inline constexpr std::string_view kHardware = "hardware";
inline constexpr std::string_view kModels = "models";
inline constexpr std::string_view kDownloads = "downloads";
inline constexpr std::string_view kBenchmarks = "benchmarks";
inline constexpr std::string_view kLogs = "logs";
}  // namespace rooms

// One event before it is wrapped: what snapshot providers return.
struct Event {
  std::string type;
  nlohmann::json data;
};

struct EventHubOptions {
  size_t max_rooms_per_client = 64;  // subscriptions one client may hold
};

class EventHub {
 public:
  using ClientId = uint64_t;
  using SnapshotFn = std::function<std::optional<Event>()>;

  explicit EventHub(EventHubOptions options = {});
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // ---- producers ------------------------------------------------------------
  // Sends the event to the room's subscribers; returns how many were reached.
  size_t publish(std::string_view room, std::string_view type, const nlohmann::json& data);
  // The same, with data built only when someone listens.
  size_t publish_lazy(std::string_view room, std::string_view type,
                      const std::function<nlohmann::json()>& make);
  // Like publish, but a client that has not yet been sent an earlier event
  // with the same `coalesce_key` gets only this one (e.g. one progress event
  // per download task). publish() uses the type as the key for the metric
  // types and no key otherwise.
  size_t publish_coalesced(std::string_view room, std::string_view type, const nlohmann::json& data,
                           std::string_view coalesce_key);
  // True if publishing to `room` would reach anyone.
  bool has_subscribers(std::string_view room) const;
  // Installs (or, with an empty fn, removes) the room's snapshot provider.
  void set_snapshot(std::string_view room, SnapshotFn fn);

  // ---- clients (EventSocket) ----------------------------------------------
  ClientId add_client(std::shared_ptr<http::WebSocket> ws);
  void remove_client(ClientId id);
  // Subscribes: the ack ("subscribed"), then the room's snapshot if any.
  // INVALID_ARGUMENT for an unknown room, RESOURCE_EXHAUSTED past the
  // per-client limit, NOT_FOUND for an unknown client.
  Status subscribe(ClientId id, std::string_view room);
  // Unsubscribes and acks ("unsubscribed"); false if the client had no such subscription.
  bool unsubscribe(ClientId id, std::string_view room);
  std::vector<std::string> rooms_of(ClientId id) const;
  // Sends one event to one client (hello, acks, errors).
  bool send_to(ClientId id, std::string_view type, const nlohmann::json& data,
               std::string_view room = {});

  // ---- introspection ------------------------------------------------------
  // "metrics", "downloads:abc", ...: a known room, or a task room of downloads
  // or benchmarks with a printable id of 1..128 characters.
  static bool valid_room(std::string_view room);
  static std::vector<std::string> base_rooms();
  // The envelope, serialised (exposed for tests and single sends).
  static std::string envelope(std::string_view room, std::string_view type,
                              const nlohmann::json& data);
  // Whether frames of this type are coalesced by default.
  static bool is_metric_type(std::string_view type);

  struct Stats {
    size_t n_clients = 0;
    uint64_t n_published = 0;        // publish calls that reached someone
    uint64_t n_delivered = 0;        // frames queued on clients
    uint64_t n_dropped_clients = 0;  // clients dropped because their queue overflowed (or gone)
  };
  Stats stats() const;

 private:
  struct Client;
  using ClientPtr = std::shared_ptr<Client>;

  std::vector<ClientPtr> targets(std::string_view room) const;
  size_t deliver(const std::vector<ClientPtr>& to, std::string_view room, std::string_view type,
                 const nlohmann::json& data, std::string_view coalesce_key);
  void forget(const std::vector<ClientId>& gone);
  bool erase_client(ClientId id);  // false if unknown

  const EventHubOptions options_;
  mutable std::shared_mutex mu_;  // guards the maps below
  std::map<ClientId, ClientPtr> clients_;
  std::map<std::string, std::vector<ClientPtr>, std::less<>> rooms_;
  std::map<std::string, SnapshotFn, std::less<>> snapshots_;
  ClientId next_id_ = 1;
  std::atomic<uint64_t> n_published_{0};
  std::atomic<uint64_t> n_delivered_{0};
  std::atomic<uint64_t> n_dropped_{0};
};

}  // namespace impetus
