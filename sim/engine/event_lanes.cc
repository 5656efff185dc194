#include "sim/engine/event_lanes.h"

#include <utility>

#include "sim/core/check.h"

namespace gppsim::engine {

void EventLanes::push(core::Time now, core::Time delay, EventKind kind, std::size_t id) {
  GPPSIM_CHECK(delay.ps() >= 0, "an event due in the past");
  const std::size_t l = lane(delay.ps());
  const bool was_empty = lanes_[l].empty();
  lanes_[l].push_back(Event{now + delay, seq_++, kind, id});
  if (was_empty) {
    heads_.push_back(l);
    sift_up(heads_.size() - 1);
  }
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
  const std::size_t lane = heads_.front();
  lanes_[lane].pop_front();
  if (lanes_[lane].empty()) {
    heads_.front() = heads_.back();
    heads_.pop_back();
  }
  if (!heads_.empty()) sift_down(0);
}

bool EventLanes::before(std::size_t a, std::size_t b) const {
  const Event& x = lanes_[a].front();
  const Event& y = lanes_[b].front();
  return x.time != y.time ? x.time < y.time : x.seq < y.seq;
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
