#include "sim/engine/flow_network.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "sim/core/check.h"

namespace gppsim::engine {
namespace {

constexpr double kPsPerSecond = 1e12;
// Floating-point residue: rates times elapsed picoseconds never cancel a flow's bytes exactly,
// so a flow this close to empty counts as delivered.
constexpr double kRelativeResidue = 1e-9;
constexpr double kAbsoluteResidue = 1e-6;  // bytes
// A projection within this relative distance (a few ulps) of a whole picosecond is taken as
// that picosecond, so that e.g. 1 GB at 10 GB/s lands on exactly 1e11 ps and not one past it.
constexpr double kSnap = 1e-14;
// Progressive filling scans up to this many share entries for the smallest instead of heaping.
constexpr std::size_t kShareScanLimit = 16;

/// Picoseconds until `remaining` bytes are moved at `rate` bytes/s, rounded up to a whole ps
/// (saturating so that `now` plus the result does not overflow).
std::int64_t ps_until_done(double remaining, double rate, core::Time now) {
  const double exact = remaining * kPsPerSecond / rate;
  const double nearest = std::nearbyint(exact);
  const double ps =
      std::abs(exact - nearest) <= kSnap * std::max(1.0, exact) ? nearest : std::ceil(exact);
  const std::int64_t headroom = INT64_MAX - now.ps();
  if (ps >= static_cast<double>(headroom)) return headroom;
  return std::max<std::int64_t>(0, static_cast<std::int64_t>(ps));
}

/// Heap order for completion entries: earliest time first, then smallest flow id. Bitwise, not
/// short-circuit, so that choosing between two children compiles without a branch (the choice
/// is a coin toss that a branch predictor cannot learn).
template <typename C>
bool earlier_completion(const C& a, const C& b) {
  const std::int64_t x = a.time.ps();
  const std::int64_t y = b.time.ps();
  return static_cast<bool>(static_cast<int>(x < y) | (static_cast<int>(x == y) & static_cast<int>(a.flow < b.flow)));
}

/// Heap order for share entries (a functor, so that the std heap algorithms inline it):
/// smallest share first, then smallest link id.
struct LargerShare {
  template <typename S>
  bool operator()(const S& a, const S& b) const {
    return a.share != b.share ? a.share > b.share : a.link > b.link;
  }
};

}  // namespace

FlowNetwork::FlowNetwork(std::vector<core::BytesPerSecond> capacities)
    : links_(capacities.size()) {
  for (std::size_t l = 0; l < capacities.size(); ++l) {
    const double c = capacities[l].value();
    GPPSIM_CHECK(c > 0.0 && std::isfinite(c),
                 fmt::format("link {} has capacity {} B/s; it must be positive and finite", l, c));
    links_[l].capacity = c;
  }
}

FlowId FlowNetwork::start(std::span<const hw::LinkId> links, core::Bytes bytes, core::Time now, std::uint32_t tag) {
  advance_clock(now);
  check_links(links);
  const double b = bytes.value();
  GPPSIM_CHECK(b >= 0.0 && std::isfinite(b),
               fmt::format("a flow must carry a finite, non-negative number of bytes, got {}", b));
  const FlowId id = next_id_++;
  const Slot slot = allocate_slot(id);
  FlowState& flow = slots_[slot];
  flow.tag = tag;
  flow.initial_bytes = b;
  flow.remaining_bytes = b;
  flow.rate = 0.0;
  flow.updated = now;
  if (b == 0.0) {
    // Nothing to move: it never takes a share, so its start disturbs no other flow.
    project(slot, now);
    return id;
  }
  flow.links.assign(links.begin(), links.end());
  attach(slot);
  record_change(flow);
  batch_starts_.push_back(slot);
  batch_log_.push_back(Change{slot, true});
  return id;
}

std::optional<std::pair<core::Time, FlowId>> FlowNetwork::next_completion() {
  if (batch_changes_ > 0 && !answer_is_final()) reshare_pending();
  if (completions_.empty()) return std::nullopt;
  return std::make_pair(completions_.front().time, completions_.front().flow);
}

std::uint32_t FlowNetwork::finish(FlowId flow, core::Time now) {
  advance_clock(now);
  // Only the next completion may finish, so the heap's front names the slot (and a flow that
  // is not active never is the next completion).
  const auto next = next_completion();
  GPPSIM_CHECK(next && next->second == flow && next->first == now,
               fmt::format("finish(flow {}, {} ps) but the next completion is flow {} at {} ps",
                           flow, now.ps(), next ? next->second : flow,
                           next ? next->first.ps() : -1));
  const Slot slot = completions_.front().slot;
  pop_completion();
  FlowState& state = slots_[slot];
  advance_flow(state, now);
  GPPSIM_CHECK(is_done(state), fmt::format("flow {} finishes at {} ps with {} of {} B left", flow,
                                           now.ps(), state.remaining_bytes, state.initial_bytes));
  detach(slot);
  state.active = false;
  if (state.links.empty()) {
    recycle_slot(slot);
    return state.tag;
  }
  // The slot keeps its links until the batch is re-shared, for settle_candidates' replay.
  record_change(state);
  batch_log_.push_back(Change{slot, false});
  batch_finished_.push_back(slot);
  return state.tag;
}

bool FlowNetwork::answer_is_final() const {
  // Finishes alone cannot move a completion due now: every flow projected at now_ is already
  // done (projections round up), so re-sharing projects it at now_ again, and every other flow
  // it re-projects lands after now_. The earliest entry is then the same with or without the
  // re-share, which can wait for the whole burst of flows that complete together. A pending
  // start must be shared at once: a tiny flow may complete at now_ too.
  return batch_starts_.empty() && !completions_.empty() && completions_.front().time == now_;
}

core::BytesPerSecond FlowNetwork::rate(FlowId flow) const {
  if (batch_changes_ > 0) {
    // Pending changes exist only after a non-const start() or finish() on this object, so it
    // is not a const object and re-sharing through a non-const path is well defined.
    const_cast<FlowNetwork*>(this)->reshare_pending();
  }
  return core::BytesPerSecond(active_flow(flow).rate);
}

std::size_t FlowNetwork::active_flows() const {
  return slots_.size() - free_slots_.size() - batch_finished_.size();
}

void FlowNetwork::advance_clock(core::Time now) {
  GPPSIM_CHECK(now >= now_, fmt::format("time went backwards: {} ps after {} ps", now.ps(),
                                        now_.ps()));
  // A batch belongs to one picosecond: what is pending was recorded at now_.
  if (now > now_ && batch_changes_ > 0) reshare_pending();
  now_ = now;
}

void FlowNetwork::check_links(std::span<const hw::LinkId> links) {
  GPPSIM_CHECK(!links.empty(), "a flow must cross at least one link");
  ++epoch_;
  for (const hw::LinkId l : links) {
    GPPSIM_CHECK(l < links_.size(),
                 fmt::format("link {} does not exist ({} links)", l, links_.size()));
    GPPSIM_CHECK(links_[l].mark != epoch_, fmt::format("a flow crosses link {} twice", l));
    links_[l].mark = epoch_;
  }
}

void FlowNetwork::advance_flow(FlowState& flow, core::Time now) {
  const std::int64_t elapsed = (now - flow.updated).ps();
  if (elapsed > 0) {
    const double moved = flow.rate * static_cast<double>(elapsed) / kPsPerSecond;
    flow.remaining_bytes = std::max(0.0, flow.remaining_bytes - moved);
  }
  flow.updated = now;
}

bool FlowNetwork::is_done(const FlowState& flow) {
  return flow.remaining_bytes <= kRelativeResidue * flow.initial_bytes ||
         flow.remaining_bytes < kAbsoluteResidue;
}

FlowNetwork::Slot FlowNetwork::allocate_slot(FlowId id) {
  Slot slot = kNoSlot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    GPPSIM_CHECK(slots_.size() < kNoSlot, "too many concurrently active flows");
    slot = static_cast<Slot>(slots_.size());
    slots_.emplace_back();
    heap_pos_.push_back(kNotQueued);
  }
  slots_[slot].id = id;
  slots_[slot].active = true;
  return slot;
}

void FlowNetwork::recycle_slot(Slot slot) {
  FlowState& flow = slots_[slot];
  GPPSIM_CHECK(heap_pos_[slot] == kNotQueued, fmt::format("flow {} is still queued", flow.id));
  flow.links.clear();
  flow.where.clear();
  free_slots_.push_back(slot);
}

void FlowNetwork::attach(Slot slot) {
  FlowState& flow = slots_[slot];
  flow.where.resize(flow.links.size());
  for (std::size_t k = 0; k < flow.links.size(); ++k) {
    std::vector<Slot>& on_link = links_[flow.links[k]].flows;
    flow.where[k] = on_link.size();
    on_link.push_back(slot);
  }
}

void FlowNetwork::detach(Slot slot) {
  const FlowState& flow = slots_[slot];
  for (std::size_t k = 0; k < flow.links.size(); ++k) {
    const hw::LinkId l = flow.links[k];
    std::vector<Slot>& on_link = links_[l].flows;
    const std::size_t pos = flow.where[k];
    const Slot moved = on_link.back();
    on_link[pos] = moved;
    on_link.pop_back();
    if (moved == slot) continue;
    FlowState& other = slots_[moved];
    const auto it = std::find(other.links.begin(), other.links.end(), l);
    other.where[static_cast<std::size_t>(it - other.links.begin())] = pos;
  }
}

void FlowNetwork::record_change(const FlowState& flow) {
  dirty_links_.insert(dirty_links_.end(), flow.links.begin(), flow.links.end());
  ++batch_changes_;
}

void FlowNetwork::reshare_pending() {
  // Re-sharing after each change would have walked, over the batch, exactly the flows now
  // connected to a changed link, and advanced each of them once (at its old rate) to now_.
  collect_component(dirty_links_);
  progressive_filling();
  // A flow whose rate came out bit-identical keeps its projection: it is still right. After
  // several changes, per-change re-sharing may have re-projected it from now_ on the way
  // (its rate differing in between); that matters only if the projection from now_ differs.
  candidates_.clear();
  for (const Slot s : component_flows_) {
    const FlowState& flow = slots_[s];
    if (flow.rate_changed) {
      project(s, now_);
    } else if (batch_changes_ > 1 && projection(flow, now_) != completions_[heap_pos_[s]].time) {
      candidates_.push_back(Candidate{s, flow.rate, false});
    }
  }
  if (!candidates_.empty()) settle_candidates();
  for (const Slot s : batch_finished_) recycle_slot(s);
  dirty_links_.clear();
  batch_starts_.clear();
  batch_finished_.clear();
  batch_log_.clear();
  batch_changes_ = 0;
}

void FlowNetwork::settle_candidates() {
  // Replays the states between the changes: from the state before the batch (without its
  // starts, with its finished flows), each change in turn, re-sharing after each but the last.
  // Rates depend only on the flows present, not on the order of the lists. The finished flows
  // join component_flows_ for the replay (their links are all in the component: they seeded it).
  saved_rates_.clear();
  for (const Slot s : component_flows_) saved_rates_.push_back(slots_[s].rate);
  const std::size_t collected = component_flows_.size();
  for (auto it = batch_starts_.rbegin(); it != batch_starts_.rend(); ++it) detach(*it);
  for (const Slot s : batch_finished_) {
    attach(s);
    component_flows_.push_back(s);
  }
  for (std::size_t i = 0; i < batch_log_.size(); ++i) {
    if (batch_log_[i].start) {
      attach(batch_log_[i].slot);
    } else {
      detach(batch_log_[i].slot);
    }
    if (i + 1 == batch_log_.size()) break;
    progressive_filling();
    for (Candidate& c : candidates_) c.moved = c.moved || slots_[c.slot].rate != c.rate;
  }
  component_flows_.resize(collected);
  for (std::size_t i = 0; i < component_flows_.size(); ++i) {
    slots_[component_flows_[i]].rate = saved_rates_[i];
  }
  for (const Candidate& c : candidates_) {
    if (c.moved) project(c.slot, now_);
  }
}

void FlowNetwork::collect_component(const std::vector<hw::LinkId>& seeds) {
  ++epoch_;
  component_links_.clear();
  component_flows_.clear();
  for (const hw::LinkId l : seeds) {
    if (links_[l].mark == epoch_) continue;
    links_[l].mark = epoch_;
    component_links_.push_back(l);
  }
  // Breadth-first over links -> flows -> links; component_links_ doubles as the queue.
  for (std::size_t i = 0; i < component_links_.size(); ++i) {
    for (const Slot s : links_[component_links_[i]].flows) {
      FlowState& flow = slots_[s];
      if (flow.mark == epoch_) continue;
      flow.mark = epoch_;
      advance_flow(flow, now_);
      component_flows_.push_back(s);
      for (const hw::LinkId m : flow.links) {
        if (links_[m].mark == epoch_) continue;
        links_[m].mark = epoch_;
        component_links_.push_back(m);
      }
    }
  }
}

void FlowNetwork::progressive_filling() {
  // A link's fair share never drops while flows freeze (each flow frozen elsewhere took at
  // most that share), so a heap key is a lower bound of the link's current share: an entry
  // found stale is re-keyed when popped instead of on every change, and each link has at most
  // one entry.
  share_heap_.clear();
  for (const Slot s : component_flows_) slots_[s].frozen = false;
  for (const hw::LinkId l : component_links_) {
    LinkState& link = links_[l];
    link.residual = link.capacity;
    link.unfrozen = link.flows.size();
    if (link.unfrozen > 0) share_heap_.push_back(Share{current_share(link), l});
  }
  // A few entries are scanned (fewer mispredicted branches than a heap); many form a heap.
  // Either way the smallest (share, link) comes out first, so the results are the same.
  const bool scan = share_heap_.size() <= kShareScanLimit;
  if (!scan) std::make_heap(share_heap_.begin(), share_heap_.end(), LargerShare{});
  while (!share_heap_.empty()) {
    const Share top = pop_share(scan);
    const LinkState& link = links_[top.link];
    if (link.unfrozen == 0) continue;
    const double share = current_share(link);
    if (share > top.share) {
      share_heap_.push_back(Share{share, top.link});
      if (!scan) std::push_heap(share_heap_.begin(), share_heap_.end(), LargerShare{});
      continue;
    }
    freeze_bottleneck(top.link, share);
  }
}

FlowNetwork::Share FlowNetwork::pop_share(bool scan) {
  if (scan) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < share_heap_.size(); ++i) {
      best = LargerShare{}(share_heap_[best], share_heap_[i]) ? i : best;
    }
    std::swap(share_heap_[best], share_heap_.back());
  } else {
    std::pop_heap(share_heap_.begin(), share_heap_.end(), LargerShare{});
  }
  const Share top = share_heap_.back();
  share_heap_.pop_back();
  return top;
}

double FlowNetwork::current_share(const LinkState& link) {
  return std::max(link.residual, 0.0) / static_cast<double>(link.unfrozen);
}

void FlowNetwork::freeze_bottleneck(hw::LinkId l, double share) {
  LinkState& link = links_[l];
  for (const Slot s : link.flows) {
    FlowState& flow = slots_[s];
    if (flow.frozen) continue;
    flow.rate_changed = flow.rate != share;
    flow.rate = share;
    flow.frozen = true;
    for (const hw::LinkId m : flow.links) {
      if (m == l) continue;
      LinkState& other = links_[m];
      other.residual -= share;
      --other.unfrozen;
    }
  }
  link.unfrozen = 0;
}

core::Time FlowNetwork::projection(const FlowState& flow, core::Time now) {
  if (is_done(flow)) return now;
  GPPSIM_CHECK(flow.rate > 0.0, fmt::format("flow {} got no bandwidth", flow.id));
  return now + core::Time::from_ps(ps_until_done(flow.remaining_bytes, flow.rate, now));
}

void FlowNetwork::project(Slot slot, core::Time now) {
  FlowState& flow = slots_[slot];
  const Completion c{projection(flow, now), flow.id, slot};
  if (heap_pos_[slot] == kNotQueued) {
    completions_.push_back(c);
    place(completions_.size() - 1, c);
    sift_up(completions_.size() - 1);
    return;
  }
  const std::size_t pos = heap_pos_[slot];
  if (c.time == completions_[pos].time) return;  // same key: the heap order still holds
  const bool earlier = earlier_completion(c, completions_[pos]);
  completions_[pos] = c;
  if (earlier) {
    sift_up(pos);
  } else {
    sift_down(pos);
  }
}

void FlowNetwork::sift_up(std::size_t pos) {
  const Completion c = completions_[pos];
  while (pos > 0) {
    const std::size_t parent = (pos - 1) / 2;
    if (!earlier_completion(c, completions_[parent])) break;
    place(pos, completions_[parent]);
    pos = parent;
  }
  place(pos, c);
}

void FlowNetwork::sift_down(std::size_t pos) {
  const Completion c = completions_[pos];
  const std::size_t n = completions_.size();
  while (true) {
    std::size_t child = 2 * pos + 1;
    if (child >= n) break;
    if (child + 1 < n && earlier_completion(completions_[child + 1], completions_[child])) {
      ++child;
    }
    if (!earlier_completion(completions_[child], c)) break;
    place(pos, completions_[child]);
    pos = child;
  }
  place(pos, c);
}

void FlowNetwork::place(std::size_t pos, const Completion& c) {
  completions_[pos] = c;
  heap_pos_[c.slot] = pos;
}

void FlowNetwork::pop_completion() {
  heap_pos_[completions_.front().slot] = kNotQueued;
  const Completion last = completions_.back();
  completions_.pop_back();
  const std::size_t n = completions_.size();
  if (n == 0) return;
  // Bottom-up: the last entry is usually due late, so walking the hole down to a leaf along
  // the earlier children (one comparison per level) and then sifting the entry up from there
  // beats sifting it down from the root (two per level). (time, flow) keys are unique, so the
  // heap answers the same either way. The child is picked by arithmetic, not a branch: which
  // one is earlier is a coin toss that no predictor learns.
  std::size_t hole = 0;
  std::size_t child = 1;
  for (; child + 1 < n; child = 2 * hole + 1) {
    child += static_cast<std::size_t>(earlier_completion(completions_[child + 1], completions_[child]));
    place(hole, completions_[child]);
    hole = child;
  }
  if (child < n) {  // a last, single child
    place(hole, completions_[child]);
    hole = child;
  }
  place(hole, last);
  sift_up(hole);
}

const FlowNetwork::FlowState& FlowNetwork::active_flow(FlowId flow) const {
  const auto it = std::find_if(slots_.begin(), slots_.end(),
                               [flow](const FlowState& f) { return f.active && f.id == flow; });
  GPPSIM_CHECK(it != slots_.end(), fmt::format("flow {} is not active", flow));
  return *it;
}

}  // namespace gppsim::engine
