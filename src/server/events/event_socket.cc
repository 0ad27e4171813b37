#include "server/events/event_socket.h"

namespace impetus {

void EventSocket::on_open(std::shared_ptr<http::WebSocket> ws) {
  ws_ = std::move(ws);
  id_ = hub_.add_client(ws_);
  hub_.send_to(id_, "hello",
               {{"schema_version", kEventSchemaVersion},
                {"rooms", EventHub::base_rooms()},
                {"task_rooms", {"downloads:<task_id>", "benchmarks:<run_id>"}},
                {"request_id", ws_->request_id()}});
}

void EventSocket::on_close() {
  if (id_ != 0) hub_.remove_client(id_);
  id_ = 0;
}

void EventSocket::error(const std::string& code, const std::string& message,
                        const std::string& room) {
  nlohmann::json data = {{"code", code}, {"message", message}};
  if (!room.empty()) data["room"] = room;
  hub_.send_to(id_, "error", data);
}

void EventSocket::malformed(const std::string& message) {
  ++n_malformed_;
  error("invalid_json", message);
  if (n_malformed_ >= kMaxMalformed) {
    ws_->close(http::kWsClosePolicy, "too many malformed messages");
  }
}

void EventSocket::subscription(bool subscribe, const nlohmann::json& data) {
  std::vector<std::string> rooms;
  if (data.is_object() && data.contains("room") && data["room"].is_string()) {
    rooms.push_back(data["room"].get<std::string>());
  } else if (data.is_object() && data.contains("rooms") && data["rooms"].is_array()) {
    for (const auto& r : data["rooms"]) {
      if (!r.is_string()) return error("invalid_message", "data.rooms must be an array of strings");
      rooms.push_back(r.get<std::string>());
    }
  } else {
    return error("invalid_message", "data.room (a string) or data.rooms (an array) is required");
  }
  for (const std::string& room : rooms) {
    if (!subscribe) {
      if (!hub_.unsubscribe(id_, room))
        error("not_subscribed", "not subscribed to '" + room + "'", room);
      continue;
    }
    const Status st = hub_.subscribe(id_, room);
    if (st.ok()) continue;
    error(st.code() == StatusCode::kResourceExhausted ? "too_many_rooms" : "invalid_room",
          st.message(), room);
  }
}

void EventSocket::on_message(std::string message, bool binary) {
  if (binary) return malformed("binary messages are not supported: send JSON text");
  const nlohmann::json j = nlohmann::json::parse(message, nullptr, false);
  if (j.is_discarded()) return malformed("the message is not valid JSON");
  n_malformed_ = 0;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    return error("invalid_message", "a message is an object {\"type\": string, \"data\": ...}");
  }
  const std::string type = j["type"].get<std::string>();
  const nlohmann::json data = j.contains("data") ? j["data"] : nlohmann::json();
  if (type == "subscribe" || type == "unsubscribe") return subscription(type == "subscribe", data);
  if (type == "ping") {
    hub_.send_to(id_, "pong", data);
    return;
  }
  error("unknown_type",
        "unknown message type '" + type.substr(0, 64) + "' (subscribe, unsubscribe, ping)");
}

}  // namespace impetus
