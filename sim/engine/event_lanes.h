#pragma once
// The simulator's pending events, ordered by (time, insertion sequence). Most events are due a
// fixed delay after the moment they are pushed (a stage's compute time, a route's latency), and
// a simulation uses few distinct delays, so events are kept in one FIFO lane per delay: the
// clock never goes back and sequence numbers grow, so each lane is already sorted, and only
// the lanes' heads need a heap. Popping costs O(log lanes) instead of O(log events), and the
// order is exactly that of one heap over all events. Each lane is a ring buffer, so that steady
// pushes and pops neither allocate nor free.

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "sim/core/time.h"

namespace gppsim::engine {

/// What a pending event does when it comes due: a compute task ends, a job's latency has passed
/// (its bytes start to flow), or an all-reduce's reduction of the chunks it received ends.
enum class EventKind : std::uint8_t { kComputeDone, kLatencyDone, kReductionDone };

/// A pending event: due at `time`, pushed `seq`-th; `id` is a task id (compute, reduction) or a
/// job slot (latency), below 2^32 (checked by push), so that an event takes 24 bytes.
struct Event {
  core::Time time;
  std::uint64_t seq = 0;
  std::uint32_t id = 0;
  EventKind kind = EventKind::kComputeDone;
};

/// Pending events in (time, seq) order; see the file comment.
class EventLanes {
 public:
  /// Adds an event due `delay` (>= 0) after `now`; `now` never decreases between calls.
  void push(core::Time now, core::Time delay, EventKind kind, std::size_t id);
  [[nodiscard]] bool empty() const { return heads_.empty(); }
  /// The earliest pending event (smallest time, then smallest seq); the queue must not be empty.
  [[nodiscard]] const Event& top() const { return lanes_[heads_.front().lane].front(); }
  /// Removes top().
  void pop();

 private:
  /// A FIFO of events in a ring buffer whose capacity is 0 or a power of two.
  class Lane {
   public:
    [[nodiscard]] bool empty() const { return size_ == 0; }
    [[nodiscard]] const Event& front() const { return ring_[head_]; }
    /// Appends `e`, doubling the ring when it is full.
    void push_back(const Event& e) {
      if (size_ == ring_.size()) grow();
      ring_[(head_ + size_) & (ring_.size() - 1)] = e;
      ++size_;
    }
    void pop_front() {
      head_ = (head_ + 1) & (ring_.size() - 1);
      --size_;
    }

   private:
    /// Doubles the capacity (at least 16), keeping the order.
    void grow();

    std::vector<Event> ring_;
    std::size_t head_ = 0;  ///< index of the front event
    std::size_t size_ = 0;  ///< events held
  };

  /// A non-empty lane in the heap, keyed by its front event's (time, seq) copied here, so that
  /// comparisons read the heap alone.
  struct Head {
    core::Time time;
    std::uint64_t seq = 0;
    std::size_t lane = 0;
  };

  /// Whether head a comes before head b.
  [[nodiscard]] static bool before(const Head& a, const Head& b) {
    return a.time != b.time ? a.time < b.time : a.seq < b.seq;
  }
  /// The lane of events due `delay` ps after their push, created on first use.
  std::size_t lane(std::int64_t delay);
  /// Moves heads_[pos] towards the root / the leaves until the heap order holds.
  void sift_up(std::size_t pos);
  void sift_down(std::size_t pos);

  std::vector<Lane> lanes_;                                ///< FIFO per delay, each sorted
  std::unordered_map<std::int64_t, std::size_t> lane_of_;  ///< delay in ps -> lane
  /// A direct-mapped cache in front of lane_of_ (a hash lookup per push shows in profiles).
  struct Recent {
    std::int64_t delay = -1;  ///< -1: empty
    std::size_t lane = 0;
  };
  std::array<Recent, 64> recent_{};
  std::vector<Head> heads_;                                ///< min-heap of non-empty lanes
  std::uint64_t seq_ = 0;
};

}  // namespace gppsim::engine
