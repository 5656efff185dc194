#pragma once
// Links shared by concurrent transfers. Each flow crosses a list of links; active flows share
// every link's bandwidth max-min fairly (progressive filling), recomputed after flows start or
// end, and only for the flows connected to the changes through shared links.
//
// Re-sharing is deferred and batched: start() and finish() only record the change; the next
// next_completion() or rate() re-shares every component touched since the previous re-share
// once, then answers. The results are bit-identical to re-sharing after every single change
// (the contract the tests freeze), only cheaper when several changes share one picosecond.
// Projected completions live in an indexed min-heap (one entry per flow, re-keyed in place).

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "sim/core/time.h"
#include "sim/core/units.h"
#include "sim/hw/topology.h"

namespace gppsim::engine {

/// Index of a flow in its FlowNetwork (never reused).
using FlowId = std::size_t;

/// Max-min fair bandwidth sharing over directional links, in simulated time.
///
/// Time contract: every call's `now` is >= the previous call's (checked). Changes recorded by
/// start() and finish() wait for the next next_completion() or rate(), so a batch of changes
/// always belongs to one picosecond: a call at a later time first re-shares what is pending at
/// the earlier one. Finishes of flows that complete in the same picosecond share one re-share.
/// Callers get the most from batching when they make every change of a
/// picosecond before asking next_completion() (e.g. an event loop that consults the network
/// only once no event is left at the current time).
class FlowNetwork {
 public:
  /// One capacity per link (hw::LinkId indexes it); all must be positive.
  explicit FlowNetwork(std::vector<core::BytesPerSecond> capacities);

  /// Starts moving `bytes` over `links` at time `now` (>= every earlier call's time). A flow of
  /// 0 bytes completes at `now`. `links` must be non-empty. The re-share is deferred.
  /// The links are copied (into storage recycled from finished flows, so that steady-state
  /// starts do not allocate). `tag` is the caller's, handed back by finish() (so that a caller
  /// needs no table indexed by FlowId to know what a finished flow was for).
  FlowId start(std::span<const hw::LinkId> links, core::Bytes bytes, core::Time now, std::uint32_t tag = 0);
  /// start() over a braced list of links.
  FlowId start(std::initializer_list<hw::LinkId> links, core::Bytes bytes, core::Time now, std::uint32_t tag = 0) {
    return start(std::span<const hw::LinkId>(links.begin(), links.size()), bytes, now, tag);
  }
  /// The earliest time an active flow completes, and that flow (smallest id on ties);
  /// nullopt when no flow is active. Re-shares what start() and finish() left pending first,
  /// except while only finishes are pending and a completion is due at the current time: that
  /// answer does not depend on the re-share, which then waits for the rest of the burst.
  [[nodiscard]] std::optional<std::pair<core::Time, FlowId>> next_completion();
  /// Removes the flow that next_completion() named, at its completion time `now`, and returns
  /// the tag it was started with; the re-share of the bandwidth it held is deferred.
  std::uint32_t finish(FlowId flow, core::Time now);
  /// Current rate of an active flow. Re-shares what is pending first: logically const (the
  /// rates are a function of the recorded flows), so it may update the deferred state.
  /// Linear in the active flows (no FlowId index is kept: simulations never ask; tests do).
  [[nodiscard]] core::BytesPerSecond rate(FlowId flow) const;
  /// Flows started and not yet finished (zero-byte ones included).
  [[nodiscard]] std::size_t active_flows() const;

 private:
  /// Index of an active flow's storage in slots_; slots are recycled, FlowIds are not.
  using Slot = std::uint32_t;
  static constexpr Slot kNoSlot = UINT32_MAX;
  /// heap_pos of a flow with no entry in completions_.
  static constexpr std::size_t kNotQueued = SIZE_MAX;

  /// An active flow. Quantities are raw doubles in bytes and bytes/s for the inner loops. The
  /// fields the component walk and progressive filling touch come first (one cache line).
  struct alignas(64) FlowState {
    std::uint64_t mark = 0;           ///< epoch_ of the last component walk that reached it
    std::vector<hw::LinkId> links;    ///< links crossed (empty for a zero-byte flow)
    double rate = 0.0;                ///< bytes/s (0 for a zero-byte flow, which takes no share)
    double remaining_bytes = 0.0;     ///< as of `updated`
    core::Time updated;               ///< when remaining_bytes was last brought up to date
    bool frozen = false;              ///< rate fixed in the current progressive filling
    bool rate_changed = false;        ///< the last progressive filling changed `rate`
    bool active = false;              ///< started and not yet finished
    FlowId id = 0;
    std::uint32_t tag = 0;            ///< the caller's, from start()
    double initial_bytes = 0.0;
    std::vector<std::size_t> where;   ///< where[k]: index of this slot in links[k]'s flow list
  };

  /// A link: its capacity, the active flows on it, and scratch for progressive filling.
  struct LinkState {
    double capacity = 0.0;            ///< bytes/s
    std::vector<Slot> flows;          ///< active flows crossing the link, unordered
    std::uint64_t mark = 0;           ///< epoch_ of the last component walk that reached it
    double residual = 0.0;            ///< capacity not yet given to frozen flows
    std::size_t unfrozen = 0;         ///< flows on the link whose rate is not yet fixed
  };

  /// A flow's projected completion in the indexed min-heap completions_ (one per active flow).
  struct Completion {
    core::Time time;
    FlowId flow = 0;
    Slot slot = kNoSlot;
  };

  /// A flow whose final rate equals its rate before the batch but whose projection from now_
  /// differs from its queued one; `moved` once some state between the changes gave it another
  /// rate.
  struct Candidate {
    Slot slot = kNoSlot;
    double rate = 0.0;                ///< bytes/s, before and after the batch
    bool moved = false;
  };

  /// A link's fair share in share_heap_ during one progressive filling; a lower bound of the
  /// link's current share (re-keyed when popped stale).
  struct Share {
    double share = 0.0;               ///< bytes/s per unfrozen flow
    hw::LinkId link = 0;
  };

  /// Checks that time does not go backwards; re-shares a batch pending at an earlier time
  /// (at that time) before moving now_ to `now`.
  void advance_clock(core::Time now);
  /// Checks that `links` is non-empty, in range and free of repeats.
  void check_links(std::span<const hw::LinkId> links);
  /// Brings remaining_bytes from `updated` to `now` at the current rate.
  static void advance_flow(FlowState& flow, core::Time now);
  /// Whether what is left of the flow is floating-point residue (or nothing).
  [[nodiscard]] static bool is_done(const FlowState& flow);
  /// A recycled or new slot, marked active for flow `id`.
  Slot allocate_slot(FlowId id);
  /// Returns the slot of a finished flow (no longer active) to free_slots_.
  void recycle_slot(Slot slot);
  /// Whether next_completion() may answer without re-sharing the pending batch: it holds only
  /// finishes and a completion is due at now_ (the answer is then the same either way).
  [[nodiscard]] bool answer_is_final() const;
  /// Appends the slot to the flow list of each of its links.
  void attach(Slot slot);
  /// Swap-removes the slot from the flow list of each of its links.
  void detach(Slot slot);
  /// Records that the flow set of the slot's links changed at now_ (one change of the batch).
  void record_change(const FlowState& flow);
  /// Re-shares every component touched by the pending batch at now_, as if after each change.
  void reshare_pending();
  /// Fills component_links_ and component_flows_ with everything connected to `seeds`, and
  /// brings each flow it reaches up to now_.
  void collect_component(const std::vector<hw::LinkId>& seeds);
  /// Max-min fair rates for component_flows_ (water-filling over component_links_).
  void progressive_filling();
  /// Removes and returns the smallest entry of share_heap_ (a heap unless `scan`).
  Share pop_share(bool scan);
  /// residual / unfrozen of a link with unfrozen flows, in bytes/s.
  [[nodiscard]] static double current_share(const LinkState& link);
  /// Gives every unfrozen flow on bottleneck link `link` the rate `share` and freezes it.
  void freeze_bottleneck(hw::LinkId link, double share);
  /// Re-projects the candidates_ whose rate differed from its final value in some state
  /// between the changes of the batch (per-change re-sharing would have re-projected them).
  void settle_candidates();
  /// When the flow completes at its current rate, projected from `now`.
  [[nodiscard]] static core::Time projection(const FlowState& flow, core::Time now);
  /// Sets the slot's projected completion from `now` in completions_.
  void project(Slot slot, core::Time now);
  /// Moves completions_[pos] towards the root / the leaves until the heap order holds.
  void sift_up(std::size_t pos);
  void sift_down(std::size_t pos);
  /// Stores `c` at completions_[pos] and records the position in its flow.
  void place(std::size_t pos, const Completion& c);
  /// Removes the earliest completion from completions_.
  void pop_completion();
  /// The state of `flow`; checks that it is active (a scan of the slots).
  [[nodiscard]] const FlowState& active_flow(FlowId flow) const;

  std::vector<LinkState> links_;
  std::vector<FlowState> slots_;
  std::vector<Slot> free_slots_;
  FlowId next_id_ = 0;                 ///< the FlowId of the next start()
  std::vector<Completion> completions_;  ///< indexed min-heap on (time, flow), no stale entries
  /// Per slot: index of its flow's projected completion in completions_ (kept apart from
  /// FlowState so that heap moves touch one small array).
  std::vector<std::size_t> heap_pos_;
  core::Time now_;                     ///< latest time passed to start() or finish()
  std::uint64_t epoch_ = 0;            ///< component walk counter for the marks
  // The pending batch: changes at now_ not yet re-shared.
  std::vector<hw::LinkId> dirty_links_;  ///< links of the changed flows (may repeat)
  /// One change of the pending batch: a start with bytes or a finish of a flow with links.
  struct Change {
    Slot slot = kNoSlot;
    bool start = false;
  };
  std::vector<Slot> batch_starts_;     ///< flows with bytes started in the batch, in order
  std::vector<Slot> batch_finished_;   ///< finished flows whose slots wait for the re-share
  std::vector<Change> batch_log_;      ///< every change of the batch, in order
  std::size_t batch_changes_ = 0;      ///< starts with bytes and finishes with links
  // Scratch reused by every re-share, so a re-share does not allocate in steady state.
  std::vector<hw::LinkId> component_links_;
  std::vector<Slot> component_flows_;
  std::vector<Share> share_heap_;      ///< a min-heap, or scanned when small (pop_share)
  std::vector<Candidate> candidates_;
  std::vector<double> saved_rates_;    ///< final rates of component_flows_ while settling
};

}  // namespace gppsim::engine
