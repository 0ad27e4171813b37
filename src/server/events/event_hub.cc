#include "server/events/event_hub.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <utility>

namespace impetus {

struct EventHub::Client {
  ClientId id = 0;
  std::shared_ptr<http::WebSocket> ws;
  std::vector<std::string> rooms;  // guarded by the hub's mutex
};

namespace {

constexpr std::string_view kBaseRooms[] = {rooms::kMetrics,   rooms::kHardware,   rooms::kModels,
                                           rooms::kDownloads, rooms::kBenchmarks, rooms::kLogs};
constexpr size_t kMaxTaskIdLength = 128;

// "downloads:abc" -> "downloads"; "" when the room has no parent.
std::string_view parent_of(std::string_view room) {
  const size_t colon = room.find(':');
  return colon == std::string_view::npos ? std::string_view() : room.substr(0, colon);
}

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

EventHub::EventHub(EventHubOptions options) : options_(options) {}
EventHub::~EventHub() = default;

bool EventHub::valid_room(std::string_view room) {
  for (std::string_view base : kBaseRooms) {
    if (room == base) return true;
  }
  const std::string_view parent = parent_of(room);
  if (parent != rooms::kDownloads && parent != rooms::kBenchmarks) return false;
  const std::string_view task = room.substr(parent.size() + 1);
  if (task.empty() || task.size() > kMaxTaskIdLength) return false;
  return std::all_of(task.begin(), task.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x21 && c <= 0x7E;
  });
}

std::vector<std::string> EventHub::base_rooms() {
  return std::vector<std::string>(std::begin(kBaseRooms), std::end(kBaseRooms));
}

bool EventHub::is_metric_type(std::string_view type) {
  return type == "metrics_update" || type == "hardware_status";
}

std::string EventHub::envelope(std::string_view room, std::string_view type,
                               const nlohmann::json& data) {
  nlohmann::json j = nlohmann::json::object();
  j["type"] = type;
  if (!room.empty()) j["room"] = room;
  j["ts"] = unix_ms();
  j["schema_version"] = kEventSchemaVersion;
  j["data"] = data;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// ---- producers ----------------------------------------------------------------

size_t EventHub::publish(std::string_view room, std::string_view type, const nlohmann::json& data) {
  return publish_coalesced(room, type, data, is_metric_type(type) ? type : std::string_view());
}

size_t EventHub::publish_lazy(std::string_view room, std::string_view type,
                              const std::function<nlohmann::json()>& make) {
  const std::vector<ClientPtr> to = targets(room);
  if (to.empty()) return 0;
  return deliver(to, room, type, make(), is_metric_type(type) ? type : std::string_view());
}

size_t EventHub::publish_coalesced(std::string_view room, std::string_view type,
                                   const nlohmann::json& data, std::string_view coalesce_key) {
  const std::vector<ClientPtr> to = targets(room);
  if (to.empty()) return 0;
  return deliver(to, room, type, data, coalesce_key);
}

bool EventHub::has_subscribers(std::string_view room) const {
  std::shared_lock lock(mu_);
  if (rooms_.find(room) != rooms_.end()) return true;
  const std::string_view parent = parent_of(room);
  return !parent.empty() && rooms_.find(parent) != rooms_.end();
}

void EventHub::set_snapshot(std::string_view room, SnapshotFn fn) {
  std::unique_lock lock(mu_);
  if (fn) {
    snapshots_.insert_or_assign(std::string(room), std::move(fn));
  } else if (auto it = snapshots_.find(room); it != snapshots_.end()) {
    snapshots_.erase(it);
  }
}

std::vector<EventHub::ClientPtr> EventHub::targets(std::string_view room) const {
  std::vector<ClientPtr> out;
  std::shared_lock lock(mu_);
  if (rooms_.empty()) return out;
  if (auto it = rooms_.find(room); it != rooms_.end()) out = it->second;
  const std::string_view parent = parent_of(room);
  if (parent.empty()) return out;
  auto it = rooms_.find(parent);
  if (it == rooms_.end()) return out;
  if (out.empty()) return it->second;
  out.insert(out.end(), it->second.begin(), it->second.end());
  lock.unlock();
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());  // each client once
  return out;
}

size_t EventHub::deliver(const std::vector<ClientPtr>& to, std::string_view room,
                         std::string_view type, const nlohmann::json& data,
                         std::string_view coalesce_key) {
  const auto frame = std::make_shared<const std::string>(envelope(room, type, data));
  size_t n = 0;
  std::vector<ClientId> gone;
  for (const ClientPtr& c : to) {
    if (c->ws->send(frame, coalesce_key)) {
      ++n;
    } else {
      gone.push_back(c->id);
    }
  }
  n_published_.fetch_add(1, std::memory_order_relaxed);
  n_delivered_.fetch_add(n, std::memory_order_relaxed);
  if (!gone.empty()) forget(gone);
  return n;
}

void EventHub::forget(const std::vector<ClientId>& gone) {
  for (ClientId id : gone) {
    if (erase_client(id)) n_dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

// ---- clients ------------------------------------------------------------------

EventHub::ClientId EventHub::add_client(std::shared_ptr<http::WebSocket> ws) {
  auto c = std::make_shared<Client>();
  c->ws = std::move(ws);
  std::unique_lock lock(mu_);
  c->id = next_id_++;
  clients_.emplace(c->id, c);
  return c->id;
}

void EventHub::remove_client(ClientId id) { erase_client(id); }

bool EventHub::erase_client(ClientId id) {
  std::unique_lock lock(mu_);
  auto it = clients_.find(id);
  if (it == clients_.end()) return false;
  const ClientPtr c = it->second;
  clients_.erase(it);
  for (const std::string& room : c->rooms) {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) continue;
    std::erase(r->second, c);
    if (r->second.empty()) rooms_.erase(r);
  }
  return true;
}

Status EventHub::subscribe(ClientId id, std::string_view room) {
  if (!valid_room(room)) {
    return invalid_argument("unknown room '" + std::string(room.substr(0, 160)) +
                            "' (rooms: metrics, hardware, models, downloads, downloads:<task_id>, "
                            "benchmarks, benchmarks:<run_id>, logs)");
  }
  ClientPtr c;
  SnapshotFn snapshot;
  {
    std::unique_lock lock(mu_);
    auto it = clients_.find(id);
    if (it == clients_.end()) return not_found("no such client");
    c = it->second;
    const bool already = std::find(c->rooms.begin(), c->rooms.end(), room) != c->rooms.end();
    if (!already && c->rooms.size() >= options_.max_rooms_per_client) {
      return resource_exhausted("a client may hold at most " +
                                std::to_string(options_.max_rooms_per_client) + " subscriptions");
    }
    // The ack goes out before the first event of the room (publishers wait for the lock).
    c->ws->send_text(envelope(room, "subscribed", {{"room", room}}));
    if (!already) {
      c->rooms.emplace_back(room);
      rooms_[std::string(room)].push_back(c);
    }
    if (auto s = snapshots_.find(room); s != snapshots_.end()) snapshot = s->second;
  }
  if (snapshot) {
    if (std::optional<Event> ev = snapshot()) {
      c->ws->send(std::make_shared<const std::string>(envelope(room, ev->type, ev->data)),
                  is_metric_type(ev->type) ? std::string_view(ev->type) : std::string_view());
    }
  }
  return ok_status();
}

bool EventHub::unsubscribe(ClientId id, std::string_view room) {
  std::unique_lock lock(mu_);
  auto it = clients_.find(id);
  if (it == clients_.end()) return false;
  const ClientPtr c = it->second;
  auto pos = std::find(c->rooms.begin(), c->rooms.end(), room);
  if (pos == c->rooms.end()) return false;
  c->rooms.erase(pos);
  if (auto r = rooms_.find(room); r != rooms_.end()) {
    std::erase(r->second, c);
    if (r->second.empty()) rooms_.erase(r);
  }
  c->ws->send_text(envelope(room, "unsubscribed", {{"room", room}}));
  return true;
}

std::vector<std::string> EventHub::rooms_of(ClientId id) const {
  std::shared_lock lock(mu_);
  auto it = clients_.find(id);
  return it == clients_.end() ? std::vector<std::string>() : it->second->rooms;
}

bool EventHub::send_to(ClientId id, std::string_view type, const nlohmann::json& data,
                       std::string_view room) {
  ClientPtr c;
  {
    std::shared_lock lock(mu_);
    auto it = clients_.find(id);
    if (it == clients_.end()) return false;
    c = it->second;
  }
  return c->ws->send_text(envelope(room, type, data));
}

EventHub::Stats EventHub::stats() const {
  Stats s;
  {
    std::shared_lock lock(mu_);
    s.n_clients = clients_.size();
  }
  s.n_published = n_published_.load(std::memory_order_relaxed);
  s.n_delivered = n_delivered_.load(std::memory_order_relaxed);
  s.n_dropped_clients = n_dropped_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace impetus
