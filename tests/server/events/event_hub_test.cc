// EventHub without a network: rooms and task rooms, acks, the envelope,
// coalescing keys, snapshots, limits, dead clients, concurrency.
#include "server/events/event_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "server/events/fake_socket.h"

namespace impetus {
namespace {

using nlohmann::json;
using testing::FakeSocket;

struct Member {
  std::shared_ptr<FakeSocket> socket = std::make_shared<FakeSocket>();
  EventHub::ClientId id = 0;
};

Member join(EventHub& hub, std::initializer_list<const char*> rooms = {}) {
  Member m;
  m.id = hub.add_client(m.socket);
  for (const char* r : rooms) EXPECT_TRUE(hub.subscribe(m.id, r).ok()) << r;
  m.socket->clear();
  return m;
}

TEST(EventHub, NobodyListeningCostsNothing) {
  EventHub hub;
  bool built = false;
  EXPECT_EQ(hub.publish("metrics", "metrics_update", {{"x", 1}}), 0u);
  EXPECT_EQ(hub.publish_lazy("metrics", "metrics_update",
                             [&] {
                               built = true;
                               return json::object();
                             }),
            0u);
  EXPECT_FALSE(built);
  EXPECT_FALSE(hub.has_subscribers("metrics"));
  Member other = join(hub, {"models"});
  EXPECT_EQ(hub.publish_lazy("metrics", "metrics_update",
                             [&] {
                               built = true;
                               return json::object();
                             }),
            0u);
  EXPECT_FALSE(built);
  EXPECT_TRUE(other.socket->sent().empty());
  EXPECT_EQ(hub.stats().n_published, 0u);
}

TEST(EventHub, SubscribeAcksAndEventsUseTheEnvelope) {
  EventHub hub;
  Member m;
  m.id = hub.add_client(m.socket);
  ASSERT_TRUE(hub.subscribe(m.id, "models").ok());
  const json data = {{"model", "m1"}, {"reason", "idle"}};
  EXPECT_EQ(hub.publish("models", "model_unloaded", data), 1u);
  const auto msgs = m.socket->messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0]["type"], "subscribed");
  EXPECT_EQ(msgs[0]["room"], "models");
  EXPECT_EQ(msgs[0]["data"]["room"], "models");
  EXPECT_EQ(msgs[1]["type"], "model_unloaded");
  EXPECT_EQ(msgs[1]["room"], "models");
  EXPECT_EQ(msgs[1]["schema_version"], 1);
  EXPECT_EQ(msgs[1]["data"], data);
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  EXPECT_LE(std::abs(msgs[1]["ts"].get<int64_t>() - now_ms), 5000);
  EXPECT_EQ(hub.rooms_of(m.id), std::vector<std::string>{"models"});
}

TEST(EventHub, TaskRoomsReachTheirParentOnceEach) {
  EventHub hub;
  Member task = join(hub, {"downloads:t1"});
  Member all = join(hub, {"downloads"});
  Member both = join(hub, {"downloads", "downloads:t1"});
  EXPECT_TRUE(hub.has_subscribers("downloads:t1"));
  EXPECT_TRUE(hub.has_subscribers("downloads:t2"));  // through the parent
  EXPECT_EQ(hub.publish("downloads:t1", "download_progress", {{"task_id", "t1"}}), 3u);
  EXPECT_EQ(hub.publish("downloads:t2", "download_progress", {{"task_id", "t2"}}), 2u);
  EXPECT_EQ(hub.publish("downloads", "download_complete", {{"task_id", "t3"}}), 2u);
  EXPECT_EQ(task.socket->sent().size(), 1u);
  EXPECT_EQ(all.socket->sent().size(), 3u);
  EXPECT_EQ(both.socket->sent().size(), 3u);  // not twice for t1
  EXPECT_EQ(both.socket->messages()[0]["room"], "downloads:t1");
}

TEST(EventHub, UnsubscribeStopsEvents) {
  EventHub hub;
  Member m = join(hub, {"logs", "models"});
  EXPECT_TRUE(hub.unsubscribe(m.id, "logs"));
  EXPECT_FALSE(hub.unsubscribe(m.id, "logs"));
  EXPECT_FALSE(hub.unsubscribe(m.id, "hardware"));
  EXPECT_EQ(m.socket->types(), std::vector<std::string>{"unsubscribed"});
  EXPECT_EQ(hub.publish("logs", "log", {{"msg", "x"}}), 0u);
  EXPECT_FALSE(hub.has_subscribers("logs"));
  EXPECT_EQ(hub.publish("models", "models_update", json::object()), 1u);
}

TEST(EventHub, RoomsAreValidated) {
  for (const char* ok : {"metrics", "hardware", "models", "downloads", "benchmarks", "logs",
                         "downloads:abc-123", "benchmarks:run_9"}) {
    EXPECT_TRUE(EventHub::valid_room(ok)) << ok;
  }
  for (const char* bad : {"", "nope", "Metrics", "metrics:x", "models:m1",
                          "downloads:", "downloads:a b", "downloads:\x01", ":x"}) {
    EXPECT_FALSE(EventHub::valid_room(bad)) << bad;
  }
  EXPECT_FALSE(EventHub::valid_room("downloads:" + std::string(129, 'a')));
  EventHub hub;
  Member m = join(hub);
  const Status st = hub.subscribe(m.id, "nope");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("metrics"), std::string::npos) << "the error lists the rooms";
  EXPECT_TRUE(m.socket->sent().empty());
  EXPECT_EQ(hub.subscribe(999, "metrics").code(), StatusCode::kNotFound);
}

TEST(EventHub, SubscriptionsPerClientAreBounded) {
  EventHubOptions options;
  options.max_rooms_per_client = 2;
  EventHub hub(options);
  Member m = join(hub, {"downloads:a", "downloads:b"});
  EXPECT_EQ(hub.subscribe(m.id, "downloads:c").code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(hub.subscribe(m.id, "downloads:a").ok());  // already held: fine
  EXPECT_EQ(hub.rooms_of(m.id).size(), 2u);
}

TEST(EventHub, MetricTypesAreCoalescedOthersNot) {
  EventHub hub;
  Member m = join(hub, {"metrics", "hardware", "downloads"});
  hub.publish("metrics", "metrics_update", json::object());
  hub.publish("hardware", "hardware_status", json::object());
  hub.publish("hardware", "thermal_warning", json::object());
  hub.publish("metrics", "generation_complete", json::object());
  hub.publish_coalesced("downloads:t1", "download_progress", json::object(), "progress:t1");
  const auto sent = m.socket->sent();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(sent[0].key, "metrics_update");
  EXPECT_EQ(sent[1].key, "hardware_status");
  EXPECT_EQ(sent[2].key, "");
  EXPECT_EQ(sent[3].key, "");
  EXPECT_EQ(sent[4].key, "progress:t1");
}

TEST(EventHub, SnapshotFollowsTheAck) {
  EventHub hub;
  int calls = 0;
  hub.set_snapshot("metrics", [&]() -> std::optional<Event> {
    ++calls;
    return Event{"metrics_update", {{"n", calls}}};
  });
  Member m;
  m.id = hub.add_client(m.socket);
  ASSERT_TRUE(hub.subscribe(m.id, "metrics").ok());
  ASSERT_TRUE(hub.subscribe(m.id, "models").ok());  // no snapshot there
  const auto sent = m.socket->sent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].json()["type"], "subscribed");
  EXPECT_EQ(sent[1].json()["type"], "metrics_update");
  EXPECT_EQ(sent[1].json()["room"], "metrics");
  EXPECT_EQ(sent[1].json()["data"]["n"], 1);
  EXPECT_EQ(sent[1].key, "metrics_update");
  hub.set_snapshot("metrics", nullptr);
  Member late;
  late.id = hub.add_client(late.socket);
  ASSERT_TRUE(hub.subscribe(late.id, "metrics").ok());
  EXPECT_EQ(late.socket->types(), std::vector<std::string>{"subscribed"});
}

TEST(EventHub, ClientsThatRefuseAreForgotten) {
  EventHub hub;
  Member good = join(hub, {"models"});
  Member dead = join(hub, {"models", "logs"});
  dead.socket->refuse();
  EXPECT_EQ(hub.publish("models", "models_update", json::object()), 1u);
  EXPECT_EQ(hub.stats().n_clients, 1u);
  EXPECT_EQ(hub.stats().n_dropped_clients, 1u);
  EXPECT_FALSE(hub.has_subscribers("logs"));
  EXPECT_EQ(hub.publish("models", "models_update", json::object()), 1u);
  EXPECT_EQ(good.socket->sent().size(), 2u);
  hub.remove_client(good.id);
  hub.remove_client(good.id);  // twice: harmless
  EXPECT_FALSE(hub.has_subscribers("models"));
  EXPECT_EQ(hub.stats().n_clients, 0u);
}

TEST(EventHub, ConcurrentPublishersAndSubscribers) {
  EventHub hub;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  std::atomic<uint64_t> reached{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      while (!stop) reached += hub.publish("metrics", "metrics_update", {{"x", 1}});
    });
  }
  std::vector<Member> members;
  for (int i = 0; i < 200; ++i) {
    members.push_back(join(hub, {"metrics"}));
    if (i % 3 == 0) hub.remove_client(members[static_cast<size_t>(i / 2)].id);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (reached.load() < 1000 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_GE(reached.load(), 1000u);
  const auto s = hub.stats();
  EXPECT_EQ(s.n_delivered, reached.load());
  EXPECT_EQ(s.n_dropped_clients, 0u);
}

}  // namespace
}  // namespace impetus
