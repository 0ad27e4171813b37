// MetricsRegistry: the exposition read back by the official Prometheus
// parser (python3-prometheus-client): counters, gauges, histograms
// (cumulative buckets, +Inf, sum, count), collectors, escaping of label
// values and HELP texts, and the name checks.
#include "server/metrics/metrics_registry.h"

#include <gtest/gtest.h>

#include <thread>

#include "server/metrics/prom_parse.h"

namespace impetus {
namespace {

using testing::parse_prometheus;
using testing::PromParse;

#define PARSE_OR_SKIP(var, text)                                                    \
  const PromParse var = parse_prometheus(text);                                     \
  if (!var.available) GTEST_SKIP() << "python3-prometheus-client is not installed"; \
  ASSERT_EQ(var.error, "") << text

TEST(MetricsRegistry, CountersAndGaugesRoundTrip) {
  MetricsRegistry r;
  auto& requests = r.counter("test_requests_total", "Requests served");
  requests.inc({{"route", "/a"}, {"status", "200"}});
  requests.inc({{"route", "/a"}, {"status", "200"}}, 2.5);
  requests.inc({{"route", "/b"}, {"status", "404"}});
  EXPECT_EQ(&r.counter("test_requests_total", "ignored"), &requests);
  EXPECT_DOUBLE_EQ(requests.value({{"route", "/a"}, {"status", "200"}}), 3.5);
  EXPECT_DOUBLE_EQ(requests.value({{"route", "/zzz"}}), 0.0);
  auto& depth = r.gauge("test_queue_depth", "Queued things");
  depth.set({}, 7);
  depth.add({}, -2);
  auto& temp = r.gauge("test_temperature_celsius", "Temperature");
  temp.set({{"gpu", "0"}}, 61.25);
  temp.set({{"gpu", "1"}}, 1e-3);
  temp.set({{"gpu", "2"}}, 3);
  temp.remove({{"gpu", "2"}});
  const std::string text = r.expose();
  EXPECT_NE(text.find("# HELP test_requests_total Requests served\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE test_requests_total counter\n"), std::string::npos) << text;
  PARSE_OR_SKIP(p, text);
  EXPECT_EQ(p.value("test_requests_total", {{"route", "/a"}, {"status", "200"}}), 3.5);
  EXPECT_EQ(p.value("test_requests_total", {{"route", "/b"}, {"status", "404"}}), 1.0);
  EXPECT_EQ(p.value("test_queue_depth"), 5.0);
  EXPECT_EQ(p.value("test_temperature_celsius", {{"gpu", "0"}}), 61.25);
  EXPECT_EQ(p.value("test_temperature_celsius", {{"gpu", "1"}}), 0.001);
  EXPECT_FALSE(p.value("test_temperature_celsius", {{"gpu", "2"}}));
  for (const auto& s : p.samples) {
    if (s.name == "test_requests_total") {
      EXPECT_EQ(s.type, "counter");
      EXPECT_EQ(s.help, "Requests served");
    }
  }
}

TEST(MetricsRegistry, HistogramBucketsAreCumulative) {
  MetricsRegistry r;
  auto& h = r.histogram("test_latency_seconds", "Latency", {0.1, 0.5, 1.0});
  for (double v : {0.05, 0.1, 0.2, 0.7, 3.0, 4.0}) h.observe({{"route", "/x"}}, v);
  PARSE_OR_SKIP(p, r.expose());
  // Bucket bounds are printed as the library prints them; find each by value.
  std::map<double, double> buckets;
  for (const auto& s : p.all("test_latency_seconds_bucket")) {
    buckets[s.labels.at("le") == "+Inf" ? 1e300 : std::stod(s.labels.at("le"))] = s.value;
  }
  ASSERT_EQ(buckets.size(), 4u);
  EXPECT_EQ(buckets[0.1], 2.0);  // le is inclusive
  EXPECT_EQ(buckets[0.5], 3.0);
  EXPECT_EQ(buckets[1.0], 4.0);
  EXPECT_EQ(buckets[1e300], 6.0);
  EXPECT_EQ(p.value("test_latency_seconds_count", {{"route", "/x"}}), 6.0);
  EXPECT_NEAR(*p.value("test_latency_seconds_sum", {{"route", "/x"}}), 8.05, 1e-6);
  EXPECT_EQ(p.all("test_latency_seconds_bucket")[0].type, "histogram");
  EXPECT_THROW(r.histogram("test_bad_buckets", "x", {1.0, 0.5}), std::invalid_argument);
}

TEST(MetricsRegistry, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry r;
  const std::string nasty = "say \"hi\"\\ to\nme, caf\xc3\xa9 {le=x}";
  r.counter("test_escaped_total", "Help with a backslash \\ and\na newline")
      .inc({{"model", nasty}});
  r.add_collector([&](MetricsSink& out) {
    out.gauge("test_collected", "Collected \\ help\nline two", {{"model", nasty}}, 2);
  });
  const std::string text = r.expose();
  EXPECT_NE(text.find("# HELP test_escaped_total Help with a backslash \\\\ and\\na newline\n"),
            std::string::npos)
      << text;
  PARSE_OR_SKIP(p, text);
  EXPECT_EQ(p.value("test_escaped_total", {{"model", nasty}}), 1.0);
  EXPECT_EQ(p.value("test_collected", {{"model", nasty}}), 2.0);
  for (const auto& s : p.samples) {
    if (s.name == "test_escaped_total") {
      EXPECT_EQ(s.help, "Help with a backslash \\ and\na newline");
    }
    if (s.name == "test_collected") {
      EXPECT_EQ(s.help, "Collected \\ help\nline two");
    }
  }
}

TEST(MetricsRegistry, CollectorsRunAtEveryScrape) {
  MetricsRegistry r;
  int scrapes = 0;
  r.add_collector([&](MetricsSink& out) {
    ++scrapes;
    out.counter("test_scrapes_total", "Scrapes seen", {}, scrapes);
    out.gauge("test_per_model", "Per model", {{"model", "a"}}, 1);
    out.gauge("test_per_model", "ignored help", {{"model", "b"}}, 2);
  });
  r.add_collector([](MetricsSink&) { throw std::runtime_error("a broken sensor"); });
  r.add_collector(
      [](MetricsSink& out) { out.gauge("test_after_broken", "Still collected", {}, 1); });
  r.expose();
  PARSE_OR_SKIP(p, r.expose());
  EXPECT_EQ(scrapes, 2);
  EXPECT_EQ(p.value("test_scrapes_total"), 2.0);
  EXPECT_EQ(p.value("test_per_model", {{"model", "a"}}), 1.0);
  EXPECT_EQ(p.value("test_per_model", {{"model", "b"}}), 2.0);
  EXPECT_EQ(p.value("test_after_broken"), 1.0);
  EXPECT_EQ(p.all("test_per_model")[0].help, "Per model");
}

TEST(MetricsRegistry, CollectorNameClashesAreDropped) {
  MetricsRegistry r;
  r.counter("test_clash_total", "Registered").inc({});
  r.add_collector([](MetricsSink& out) { out.counter("test_clash_total", "Collected", {}, 99); });
  PARSE_OR_SKIP(p, r.expose());
  EXPECT_EQ(p.value("test_clash_total"), 1.0);
}

TEST(MetricsRegistry, BadNamesThrow) {
  MetricsRegistry r;
  EXPECT_THROW(r.counter("bad name", "x"), std::invalid_argument);
  EXPECT_THROW(r.gauge("9starts_with_digit", "x"), std::invalid_argument);
  auto& c = r.counter("test_ok_total", "x");
  EXPECT_THROW(c.inc({{"bad-label", "v"}}), std::invalid_argument);
  EXPECT_THROW(c.inc({{"le", "v"}}), std::invalid_argument);
  r.add_collector([](MetricsSink& out) { out.gauge("bad name", "x", {}, 1); });
  EXPECT_NO_THROW(r.expose());  // the collector's error is logged, the scrape goes on
}

TEST(MetricsRegistry, ConcurrentUpdatesAreCounted) {
  MetricsRegistry r;
  auto& c = r.counter("test_concurrent_total", "x");
  auto& h = r.histogram("test_concurrent_seconds", "x", {0.5});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        c.inc({{"t", std::to_string(t % 2)}});
        h.observe({}, 0.25);
      }
    });
  }
  std::thread scraper([&] {
    for (int i = 0; i < 20; ++i) r.expose();
  });
  for (auto& t : threads) t.join();
  scraper.join();
  EXPECT_EQ(c.value({{"t", "0"}}) + c.value({{"t", "1"}}), 40000.0);
  PARSE_OR_SKIP(p, r.expose());
  EXPECT_EQ(p.value("test_concurrent_seconds_count"), 40000.0);
}

}  // namespace
}  // namespace impetus
