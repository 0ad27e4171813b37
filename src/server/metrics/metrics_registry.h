// MetricsRegistry: Prometheus metrics of the server, exposed by GET /metrics
// in the text format 0.0.4. Built on prometheus-cpp (Debian's
// prometheus-cpp-dev: its registry, metric types and text serializer),
// behind a small facade so the rest of the server never names its types:
//
//   auto& requests = registry.counter("impetus_http_requests_total", "HTTP requests");
//   requests.inc({{"method", "GET"}, {"route", "/v1/models"}, {"status", "200"}});
//   registry.histogram("impetus_ttft_seconds", "...", {0.01, 0.1, 1}).observe({{"model", m}}, 0.2);
//
// Values that live elsewhere (engine counters, hardware sensors) are pulled
// at scrape time by collectors: add_collector(fn) runs fn on every scrape,
// and fn reports samples through a MetricsSink:
//
//   registry.add_collector([&](MetricsSink& out) {
//     out.gauge("impetus_gpu_temperature_celsius", "GPU temperature", {{"gpu", "0"}}, 61.0);
//   });
//
// Label values may hold any bytes (they are escaped); HELP texts are escaped
// too. Names must match [a-zA-Z_:][a-zA-Z0-9_:]* (label names without ':'),
// or the call throws std::invalid_argument (a programming error). Every
// method is thread-safe; a family handle lives as long as the registry.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
struct MetricFamily;
}  // namespace prometheus

namespace impetus {

using MetricLabels = std::map<std::string, std::string>;

class CounterFamily {
 public:
  explicit CounterFamily(prometheus::Family<prometheus::Counter>& family) : family_(family) {}
  void inc(const MetricLabels& labels, double by = 1.0);  // by >= 0
  double value(const MetricLabels& labels) const;         // 0 if never incremented

 private:
  prometheus::Family<prometheus::Counter>& family_;
};

class GaugeFamily {
 public:
  explicit GaugeFamily(prometheus::Family<prometheus::Gauge>& family) : family_(family) {}
  void set(const MetricLabels& labels, double value);
  void add(const MetricLabels& labels, double delta);
  double value(const MetricLabels& labels) const;  // 0 if never set
  void remove(const MetricLabels& labels);         // the series disappears

 private:
  prometheus::Family<prometheus::Gauge>& family_;
};

class HistogramFamily {
 public:
  HistogramFamily(prometheus::Family<prometheus::Histogram>& family, std::vector<double> buckets)
      : family_(family), buckets_(std::move(buckets)) {}
  void observe(const MetricLabels& labels, double value);
  const std::vector<double>& buckets() const { return buckets_; }

 private:
  prometheus::Family<prometheus::Histogram>& family_;
  const std::vector<double> buckets_;  // upper bounds, increasing; +Inf is implicit
};

// Collects samples during one scrape (see add_collector). Samples of one
// name must all be of one type; the HELP of the first sample is kept.
class MetricsSink {
 public:
  void counter(std::string_view name, std::string_view help, const MetricLabels& labels,
               double value);
  void gauge(std::string_view name, std::string_view help, const MetricLabels& labels,
             double value);

 private:
  friend class MetricsRegistry;
  explicit MetricsSink(std::vector<prometheus::MetricFamily>* out) : out_(out) {}
  void add(std::string_view name, std::string_view help, bool counter, const MetricLabels& labels,
           double value);
  std::vector<prometheus::MetricFamily>* out_;
  std::map<std::string, size_t, std::less<>> index_;  // name -> position in out_
};

using MetricsCollector = std::function<void(MetricsSink&)>;

class MetricsRegistry {
 public:
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The family with this name, created on first use (later calls return the
  // same one; the help of the first call is kept).
  CounterFamily& counter(const std::string& name, const std::string& help);
  GaugeFamily& gauge(const std::string& name, const std::string& help);
  // buckets: increasing upper bounds (+Inf is added).
  HistogramFamily& histogram(const std::string& name, const std::string& help,
                             std::vector<double> buckets);

  // fn runs at every scrape, on the scraping thread; it must be quick.
  void add_collector(MetricsCollector fn);

  // Every metric, in the Prometheus text format 0.0.4.
  std::string expose() const;

 private:
  std::unique_ptr<prometheus::Registry> registry_;
  mutable std::mutex mu_;  // guards the maps and collectors
  std::map<std::string, std::unique_ptr<CounterFamily>> counters_;
  std::map<std::string, std::unique_ptr<GaugeFamily>> gauges_;
  std::map<std::string, std::unique_ptr<HistogramFamily>> histograms_;
  std::vector<MetricsCollector> collectors_;
};

// `help` as a HELP text (backslash and newline escaped).
std::string escape_metric_help(std::string_view help);

}  // namespace impetus
