#include "sim/engine/event_lanes.h"

#include <algorithm>
#include <utility>

#include "sim/core/check.h"

namespace gppsim::engine {

void EventLanes::push(core::Time now, core::Time delay, EventKind kind, std::size_t id) {
  GPPSIM_CHECK(delay.ps() >= 0, "an event due in the past");
  GPPSIM_CHECK(id <= UINT32_MAX, "an event id beyond 32 bits");
  const std::size_t l = lane(delay.ps());
  const bool was_empty = lanes_[l].empty();
  const Event e{now + delay, seq_++, static_cast<std::uint32_t>(id), kind};
  lanes_[l].push_back(e);
  if (was_empty) {
    heads_.push_back(Head{e.time, e.seq, l});
    sift_up(heads_.size() - 1);
  }
}

void EventLanes::Lane::grow() {
  std::vector<Event> grown(std::max<std::size_t>(16, 2 * ring_.size()));
  for (std::size_t i = 0; i < size_; ++i) grown[i] = ring_[(head_ + i) & (ring_.size() - 1)];
  ring_.swap(grown);
  head_ = 0;
}

std::size_t EventLanes::lane(std::int64_t delay) {
  Recent& r = recent_[(static_cast<std::uint64_t>(delay) * 0x9E3779B97F4A7C15ULL) >> 58];
  if (r.delay == delay) return r.lane;
  const auto [it, added] = lane_of_.try_emplace(delay, lanes_.size());
  if (added) lanes_.emplace_back();
  r = Recent{delay, it->second};
  return it->second;
}

void EventLanes::pop() {
  Head& root = heads_.front();
  Lane& lane = lanes_[root.lane];
  lane.pop_front();
  if (lane.empty()) {
    root = heads_.back();
    heads_.pop_back();
  } else {
    root.time = lane.front().time;
    root.seq = lane.front().seq;
  }
  if (!heads_.empty()) sift_down(0);
}

void EventLanes::sift_up(std::size_t pos) {
  while (pos > 0) {
    const std::size_t parent = (pos - 1) / 2;
    if (!before(heads_[pos], heads_[parent])) break;
    std::swap(heads_[pos], heads_[parent]);
    pos = parent;
  }
}

void EventLanes::sift_down(std::size_t pos) {
  const std::size_t n = heads_.size();
  while (true) {
    std::size_t best = pos;
    const std::size_t left = 2 * pos + 1;
    if (left < n && before(heads_[left], heads_[best])) best = left;
    if (left + 1 < n && before(heads_[left + 1], heads_[best])) best = left + 1;
    if (best == pos) return;
    std::swap(heads_[pos], heads_[best]);
    pos = best;
  }
}

}  // namespace gppsim::engine
