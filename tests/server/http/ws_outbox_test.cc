// WsOutbox, the bounded send queue of a WebSocket: coalescing, limits,
// overflow, closing and the wake-up protocol, without sockets.
#include "server/http/ws_outbox.h"

#include <gtest/gtest.h>

namespace impetus::http {
namespace {

using Push = WsOutbox::Push;

std::shared_ptr<const std::string> text(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

std::vector<std::string> drain(WsOutbox& box) {
  std::vector<std::string> out;
  while (auto f = box.pop()) out.push_back(*f->text);
  return out;
}

TEST(WsOutbox, WakesOncePerIdlePeriod) {
  WsOutbox box(10, 1 << 20);
  EXPECT_EQ(box.push(text("a"), ""), Push::kQueuedWake);
  EXPECT_EQ(box.push(text("b"), ""), Push::kQueued);  // the writer is already awake
  EXPECT_EQ(drain(box), (std::vector<std::string>{"a", "b"}));
  // pop() found nothing: the writer sleeps, the next push wakes it.
  EXPECT_EQ(box.push(text("c"), ""), Push::kQueuedWake);
  auto f = box.pop();
  ASSERT_TRUE(f);
  // While the writer holds "c" (writing), pushes do not wake it again.
  EXPECT_EQ(box.push(text("d"), ""), Push::kQueued);
}

TEST(WsOutbox, CoalescesByKeyKeepingTheLatest) {
  WsOutbox box(2, 1 << 20);
  EXPECT_EQ(box.push(text("m1"), "metrics_update"), Push::kQueuedWake);
  EXPECT_EQ(box.push(text("e1"), ""), Push::kQueued);
  EXPECT_EQ(box.push(text("m2"), "metrics_update"), Push::kQueued);
  EXPECT_EQ(box.push(text("h1"), "hardware_status"), Push::kQueued);
  EXPECT_EQ(box.push(text("h2"), "hardware_status"), Push::kQueued);
  // Coalesced frames do not count against the limit of 2.
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(box.push(text("m" + std::to_string(i)), "metrics_update"), Push::kQueued);
  EXPECT_EQ(box.push(text("e2"), ""), Push::kQueued);
  EXPECT_EQ(box.n_queued(), 4u);
  EXPECT_EQ(drain(box), (std::vector<std::string>{"m99", "e1", "h2", "e2"}));
  // Once written (popped), a frame is no longer replaced.
  box.push(text("m100"), "metrics_update");
  auto f = box.pop();
  box.push(text("m101"), "metrics_update");
  EXPECT_EQ(*f->text, "m100");
  EXPECT_EQ(drain(box), (std::vector<std::string>{"m101"}));
}

TEST(WsOutbox, OverflowByCountDropsAndCloses) {
  WsOutbox box(3, 1 << 20);
  for (int i = 0; i < 3; ++i) EXPECT_NE(box.push(text("x"), ""), Push::kOverflow);
  EXPECT_FALSE(box.overflowed());
  EXPECT_EQ(box.push(text("x"), ""), Push::kOverflow);
  EXPECT_TRUE(box.overflowed());
  EXPECT_TRUE(box.closing());
  EXPECT_EQ(box.n_queued(), 0u);  // dropped: the client is going away
  EXPECT_EQ(box.push(text("y"), ""), Push::kRefused);
  EXPECT_EQ(box.push(text("m"), "metrics_update"), Push::kRefused);
  auto close = box.pending_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->code, 1008);
}

TEST(WsOutbox, OverflowByBytes) {
  WsOutbox box(1000, 100);
  EXPECT_NE(box.push(text(std::string(60, 'a')), ""), Push::kOverflow);
  EXPECT_EQ(box.push(text(std::string(60, 'b')), ""), Push::kOverflow);
}

TEST(WsOutbox, WrittenMessagesFreeRoom) {
  WsOutbox box(2, 1 << 20);
  for (int round = 0; round < 50; ++round) {
    EXPECT_NE(box.push(text("a"), ""), Push::kOverflow);
    EXPECT_NE(box.push(text("b"), ""), Push::kOverflow);
    EXPECT_EQ(drain(box).size(), 2u);
  }
  EXPECT_FALSE(box.overflowed());
}

TEST(WsOutbox, CloseDrainsFirstUnlessDropping) {
  WsOutbox box(10, 1 << 20);
  box.push(text("a"), "");
  box.push(text("b"), "");
  EXPECT_FALSE(box.close(1000, "bye", false));  // the writer is awake already
  EXPECT_FALSE(box.pending_close());            // "a" and "b" go first
  EXPECT_EQ(box.push(text("c"), ""), Push::kRefused);
  EXPECT_EQ(drain(box), (std::vector<std::string>{"a", "b"}));
  auto close = box.pending_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->code, 1000);
  EXPECT_EQ(close->reason, "bye");

  WsOutbox idle(10, 1 << 20);
  EXPECT_TRUE(idle.close(1001, "going away", true));  // asleep: wake it
  EXPECT_FALSE(idle.close(1000, "second", true));     // first close wins
  EXPECT_EQ(idle.pending_close()->code, 1001);

  WsOutbox dropping(10, 1 << 20);
  dropping.push(text("a"), "");
  dropping.close(1001, "going away", true);
  EXPECT_EQ(dropping.n_queued(), 0u);
  EXPECT_TRUE(dropping.pending_close());
}

TEST(WsOutbox, EndedRefusesEverything) {
  WsOutbox box(10, 1 << 20);
  box.push(text("a"), "");
  box.mark_ended();
  EXPECT_TRUE(box.closing());
  EXPECT_EQ(box.n_queued(), 0u);
  EXPECT_EQ(box.push(text("b"), ""), Push::kRefused);
}

}  // namespace
}  // namespace impetus::http
