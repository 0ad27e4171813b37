#include "engine/block_pool.h"

#include <gtest/gtest.h>

namespace impetus {
namespace {

TEST(BlockPool, AllocatesReleasesAndShares) {
  BlockPool pool(3);
  auto a = pool.allocate(), b = pool.allocate(), c = pool.allocate();
  ASSERT_TRUE(a && b && c);
  EXPECT_FALSE(pool.allocate().has_value());
  EXPECT_EQ(pool.n_free(), 0);
  pool.add_ref(*a);
  EXPECT_FALSE(pool.release(*a));
  EXPECT_TRUE(pool.release(*a));
  EXPECT_EQ(pool.n_free(), 1);
  EXPECT_EQ(pool.allocate(), a);
}

TEST(BlockTable, GrowsByBlocksAndFreesOnDestruction) {
  BlockPool pool(4);
  {
    BlockTable t(pool, 16);
    ASSERT_TRUE(t.reserve(17).ok());
    EXPECT_EQ(t.blocks().size(), 2u);
    EXPECT_EQ(t.capacity(), 32);
    ASSERT_TRUE(t.reserve(64).ok());
    EXPECT_EQ(pool.n_free(), 0);
    EXPECT_EQ(t.reserve(65).code(), StatusCode::kResourceExhausted);
  }
  EXPECT_EQ(pool.n_free(), 4);
}

}  // namespace
}  // namespace impetus
