#include "sim/experiment/runner.h"

#include <atomic>
#include <chrono>
#include <exception>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/core/atomic_file.h"
#include "sim/core/hash.h"

namespace gppsim::experiment {
namespace {

using nlohmann::ordered_json;

ordered_json to_json(const CellResult& r) {
  return {{"feasible", r.feasible},
          {"reason", r.reason},
          {"throughput_samples_per_s", r.throughput_samples_per_s},
          {"iteration_time_s", r.iteration_time_s},
          {"search_time_s", r.search_time_s},
          {"objective_s", r.objective_s},
          {"num_stages", r.num_stages},
          {"pipeline_depth", r.pipeline_depth},
          {"micro_batch_size", r.micro_batch_size},
          {"peak_memory_bytes", r.peak_memory_bytes},
          {"bubble_fraction", r.bubble_fraction},
          {"partition", r.partition}};
}

CellResult from_json(const nlohmann::json& j) {
  CellResult r;
  r.feasible = j.at("feasible").get<bool>();
  r.reason = j.at("reason").get<std::string>();
  r.throughput_samples_per_s = j.at("throughput_samples_per_s").get<double>();
  r.iteration_time_s = j.at("iteration_time_s").get<double>();
  r.search_time_s = j.at("search_time_s").get<double>();
  r.objective_s = j.at("objective_s").get<double>();
  r.num_stages = j.at("num_stages").get<int>();
  r.pipeline_depth = j.at("pipeline_depth").get<int>();
  r.micro_batch_size = j.at("micro_batch_size").get<std::int64_t>();
  r.peak_memory_bytes = j.at("peak_memory_bytes").get<double>();
  r.bubble_fraction = j.at("bubble_fraction").get<double>();
  r.partition = j.at("partition").get<std::string>();
  return r;
}

// A cached result, if one exists for exactly this fingerprint (a damaged file is recomputed).
std::optional<CellResult> load_cached(const std::filesystem::path& file, const std::string& fingerprint) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("fingerprint") || j["fingerprint"] != fingerprint) return std::nullopt;
  try {
    return from_json(j.at("result"));
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

class Pool {
 public:
  Pool(const CellEvaluator& evaluate, const RunnerOptions& options, std::size_t total)
      : evaluate_(evaluate), options_(options), start_(std::chrono::steady_clock::now()) {
    progress_.total = total;
  }

  // The first exception of any worker stops the others taking new cells and is rethrown here.
  void run(std::vector<CellSpec>& cells, const std::vector<std::size_t>& batch, std::vector<CellResult>& results) {
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    const auto worker = [&] {
      try {
        for (std::size_t i = next++; i < batch.size(); i = next++) one(cells[batch[i]], results[batch[i]]);
      } catch (...) {
        const std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = batch.size();
      }
    };
    std::vector<std::thread> threads;
    const auto n = static_cast<std::size_t>(std::max(1, options_.threads));
    for (std::size_t t = 1; t < std::min(n, batch.size()); ++t) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
  }

 private:
  void one(const CellSpec& cell, CellResult& out) {
    const std::string fp = cell.fingerprint();
    const auto file = cache_file(options_.cache_dir, fp);
    const auto begin = std::chrono::steady_clock::now();
    const auto cached = load_cached(file, fp);
    out = cached ? *cached : evaluate_(cell);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    if (!cached) {
      const ordered_json j{{"fingerprint", fp}, {"result", to_json(out)}};
      core::write_file_atomically(file, j.dump(2) + "\n");
    }
    const std::lock_guard lock(mutex_);
    ++progress_.done;
    progress_.cached += cached ? 1 : 0;
    progress_.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    progress_.last = &cell;
    progress_.last_seconds = cached ? 0.0 : seconds;
    if (options_.on_progress) options_.on_progress(progress_);
  }

  const CellEvaluator& evaluate_;
  const RunnerOptions& options_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  Progress progress_;
};

}  // namespace

std::filesystem::path cache_file(const std::filesystem::path& dir, const std::string& fingerprint) {
  return dir / (core::fnv1a64_hex(fingerprint) + ".json");
}

std::vector<CellResult> run_cells(std::vector<CellSpec>& cells, const CellEvaluator& evaluate,
                                  const RunnerOptions& options) {
  std::vector<CellResult> results(cells.size());
  std::vector<std::size_t> first, second;
  for (std::size_t i = 0; i < cells.size(); ++i) (cells[i].micro_batch_of ? second : first).push_back(i);
  Pool pool(evaluate, options, cells.size());
  pool.run(cells, first, results);
  for (const auto i : second) {
    const CellResult& source = results[*cells[i].micro_batch_of];
    cells[i].micro_batch_sizes.clear();
    if (source.feasible) cells[i].micro_batch_sizes.push_back(source.micro_batch_size);
  }
  pool.run(cells, second, results);
  return results;
}

}  // namespace gppsim::experiment
