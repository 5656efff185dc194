#pragma once
// The simulator's pending events, ordered by (time, insertion sequence). Most events are due a
// fixed delay after the moment they are pushed (a stage's compute time, a route's latency), and
// a simulation uses few distinct delays, so events are kept in one FIFO lane per delay: the
// clock never goes back and sequence numbers grow, so each lane is already sorted, and only
// the lanes' heads need a heap. Popping costs O(log lanes) instead of O(log events), and the
// order is exactly that of one heap over all events.

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "sim/core/time.h"

namespace gppsim::engine {

/// What a pending event does when it comes due.
enum class EventKind : std::uint8_t { kComputeDone, kLatencyDone };

/// A pending event: due at `time`, pushed `seq`-th; `id` is a task id (compute) or a job slot
/// (latency).
struct Event {
  core::Time time;
  std::uint64_t seq = 0;
  EventKind kind = EventKind::kComputeDone;
  std::size_t id = 0;
};

/// Pending events in (time, seq) order; see the file comment.
class EventLanes {
 public:
  /// Adds an event due `delay` (>= 0) after `now`; `now` never decreases between calls.
  void push(core::Time now, core::Time delay, EventKind kind, std::size_t id);
  [[nodiscard]] bool empty() const { return heads_.empty(); }
  /// The earliest pending event (smallest time, then smallest seq); the queue must not be empty.
  [[nodiscard]] const Event& top() const { return lanes_[heads_.front()].front(); }
  /// Removes top().
  void pop();

 private:
  /// Whether lane a's head comes before lane b's.
  [[nodiscard]] bool before(std::size_t a, std::size_t b) const;
  /// The lane of events due `delay` ps after their push, created on first use.
  std::size_t lane(std::int64_t delay);
  /// Moves heads_[pos] towards the root / the leaves until the heap order holds.
  void sift_up(std::size_t pos);
  void sift_down(std::size_t pos);

  std::vector<std::deque<Event>> lanes_;                   ///< FIFO per delay, each sorted
  std::unordered_map<std::int64_t, std::size_t> lane_of_;  ///< delay in ps -> lane
  /// A direct-mapped cache in front of lane_of_ (a hash lookup per push shows in profiles).
  struct Recent {
    std::int64_t delay = -1;  ///< -1: empty
    std::size_t lane = 0;
  };
  std::array<Recent, 64> recent_{};
  std::vector<std::size_t> heads_;                         ///< min-heap of non-empty lanes
  std::uint64_t seq_ = 0;
};

}  // namespace gppsim::engine
