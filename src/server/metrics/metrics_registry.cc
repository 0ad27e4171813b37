#include "server/metrics/metrics_registry.h"

#include <prometheus/check_names.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "core/log.h"

namespace impetus {
namespace {

void check_labels(const MetricLabels& labels) {
  for (const auto& [name, value] : labels) {
    if (!prometheus::CheckLabelName(name) || name == "le" || name == "quantile") {
      throw std::invalid_argument("invalid metric label name '" + name + "'");
    }
  }
}

void check_name(std::string_view name) {
  if (!prometheus::CheckMetricName(std::string(name))) {
    throw std::invalid_argument("invalid metric name '" + std::string(name) + "'");
  }
}

}  // namespace

std::string escape_metric_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// ---- families ------------------------------------------------------------------

void CounterFamily::inc(const MetricLabels& labels, double by) {
  check_labels(labels);
  family_.Add(labels).Increment(by);
}

double CounterFamily::value(const MetricLabels& labels) const {
  return family_.Has(labels) ? family_.Add(labels).Value() : 0.0;
}

void GaugeFamily::set(const MetricLabels& labels, double value) {
  check_labels(labels);
  family_.Add(labels).Set(value);
}

void GaugeFamily::add(const MetricLabels& labels, double delta) {
  check_labels(labels);
  family_.Add(labels).Increment(delta);
}

double GaugeFamily::value(const MetricLabels& labels) const {
  return family_.Has(labels) ? family_.Add(labels).Value() : 0.0;
}

void GaugeFamily::remove(const MetricLabels& labels) {
  if (family_.Has(labels)) family_.Remove(&family_.Add(labels));
}

void HistogramFamily::observe(const MetricLabels& labels, double value) {
  check_labels(labels);
  family_.Add(labels, buckets_).Observe(value);
}

// ---- scrape-time samples ----------------------------------------------------------

void MetricsSink::counter(std::string_view name, std::string_view help, const MetricLabels& labels,
                          double value) {
  add(name, help, true, labels, value);
}

void MetricsSink::gauge(std::string_view name, std::string_view help, const MetricLabels& labels,
                        double value) {
  add(name, help, false, labels, value);
}

void MetricsSink::add(std::string_view name, std::string_view help, bool counter,
                      const MetricLabels& labels, double value) {
  check_name(name);
  check_labels(labels);
  const prometheus::MetricType type =
      counter ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge;
  auto it = index_.find(name);
  if (it == index_.end()) {
    prometheus::MetricFamily family;
    family.name = std::string(name);
    family.help = escape_metric_help(help);
    family.type = type;
    out_->push_back(std::move(family));
    it = index_.emplace(std::string(name), out_->size() - 1).first;
  }
  prometheus::MetricFamily& family = (*out_)[it->second];
  if (family.type != type)
    throw std::invalid_argument("metric '" + std::string(name) + "' has two types");
  prometheus::ClientMetric metric;
  for (const auto& [k, v] : labels) metric.label.push_back({k, v});
  if (counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
}

// ---- registry ------------------------------------------------------------------

MetricsRegistry::MetricsRegistry()
    : registry_(
          std::make_unique<prometheus::Registry>(prometheus::Registry::InsertBehavior::Merge)) {}

MetricsRegistry::~MetricsRegistry() = default;

CounterFamily& MetricsRegistry::counter(const std::string& name, const std::string& help) {
  std::lock_guard lock(mu_);
  auto& slot = counters_[name];
  if (!slot) {
    check_name(name);
    auto& family =
        prometheus::BuildCounter().Name(name).Help(escape_metric_help(help)).Register(*registry_);
    slot = std::make_unique<CounterFamily>(family);
  }
  return *slot;
}

GaugeFamily& MetricsRegistry::gauge(const std::string& name, const std::string& help) {
  std::lock_guard lock(mu_);
  auto& slot = gauges_[name];
  if (!slot) {
    check_name(name);
    auto& family =
        prometheus::BuildGauge().Name(name).Help(escape_metric_help(help)).Register(*registry_);
    slot = std::make_unique<GaugeFamily>(family);
  }
  return *slot;
}

HistogramFamily& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                            std::vector<double> buckets) {
  std::lock_guard lock(mu_);
  auto& slot = histograms_[name];
  if (!slot) {
    check_name(name);
    for (size_t i = 1; i < buckets.size(); ++i) {
      if (!(buckets[i] > buckets[i - 1]))
        throw std::invalid_argument("histogram buckets must increase: " + name);
    }
    auto& family =
        prometheus::BuildHistogram().Name(name).Help(escape_metric_help(help)).Register(*registry_);
    slot = std::make_unique<HistogramFamily>(family, std::move(buckets));
  }
  return *slot;
}

void MetricsRegistry::add_collector(MetricsCollector fn) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(fn));
}

std::string MetricsRegistry::expose() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  std::vector<MetricsCollector> collectors;
  {
    std::lock_guard lock(mu_);
    collectors = collectors_;
  }
  std::vector<prometheus::MetricFamily> collected;
  MetricsSink sink(&collected);
  for (const MetricsCollector& fn : collectors) {
    try {
      fn(sink);
    } catch (const std::exception& e) {
      IMP_LOG(kError, "metrics: a collector threw: ", e.what());
    }
  }
  for (auto& family : collected) {
    bool taken = false;
    for (const auto& f : families) taken = taken || f.name == family.name;
    if (taken) {
      IMP_LOG(kError, "metrics: collector metric '", family.name,
              "' clashes with a registered one");
      continue;
    }
    families.push_back(std::move(family));
  }
  std::ostringstream os;
  prometheus::TextSerializer().Serialize(os, families);
  return os.str();
}

}  // namespace impetus
