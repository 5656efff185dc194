#pragma once
// Links shared by concurrent transfers. Each flow crosses a list of links; active flows share
// every link's bandwidth max-min fairly (progressive filling), recomputed whenever a flow
// starts or ends, and only for the flows connected to the change through shared links.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "sim/core/time.h"
#include "sim/core/units.h"
#include "sim/hw/topology.h"

namespace gppsim::engine {

/// Index of a flow in its FlowNetwork (never reused).
using FlowId = std::size_t;

/// Max-min fair bandwidth sharing over directional links, in simulated time.
class FlowNetwork {
 public:
  /// One capacity per link (hw::LinkId indexes it); all must be positive.
  explicit FlowNetwork(std::vector<core::BytesPerSecond> capacities);

  /// Starts moving `bytes` over `links` at time `now` (>= every earlier call's time). A flow of
  /// 0 bytes completes at `now`. `links` must be non-empty.
  FlowId start(std::vector<hw::LinkId> links, core::Bytes bytes, core::Time now);
  /// The earliest time an active flow completes, and that flow (smallest id on ties);
  /// nullopt when no flow is active.
  [[nodiscard]] std::optional<std::pair<core::Time, FlowId>> next_completion();
  /// Removes the flow that next_completion() named, at its completion time `now`, and
  /// re-shares the bandwidth it held.
  void finish(FlowId flow, core::Time now);
  /// Current rate of an active flow.
  [[nodiscard]] core::BytesPerSecond rate(FlowId flow) const;
  [[nodiscard]] std::size_t active_flows() const;

 private:
  /// Index of an active flow's storage in slots_; slots are recycled, FlowIds are not.
  using Slot = std::uint32_t;
  static constexpr Slot kNoSlot = UINT32_MAX;

  /// An active flow. Quantities are raw doubles in bytes and bytes/s for the inner loops.
  struct FlowState {
    FlowId id = 0;
    std::vector<hw::LinkId> links;    ///< links crossed (empty for a zero-byte flow)
    std::vector<std::size_t> where;   ///< where[k]: index of this slot in links[k]'s flow list
    double initial_bytes = 0.0;
    double remaining_bytes = 0.0;     ///< as of `updated`
    double rate = 0.0;                ///< bytes/s (0 for a zero-byte flow, which takes no share)
    core::Time updated;               ///< when remaining_bytes was last brought up to date
    std::uint64_t version = 0;        ///< bumped per projection; older heap entries are stale
    std::uint64_t mark = 0;           ///< epoch_ of the last component walk that reached it
    bool frozen = false;              ///< rate fixed in the current progressive filling
    bool rate_changed = false;        ///< the last progressive filling changed `rate`
  };

  /// A link: its capacity, the active flows on it, and scratch for progressive filling.
  struct LinkState {
    double capacity = 0.0;            ///< bytes/s
    std::vector<Slot> flows;          ///< active flows crossing the link, unordered
    std::uint64_t mark = 0;           ///< epoch_ of the last component walk that reached it
    double residual = 0.0;            ///< capacity not yet given to frozen flows
    std::size_t unfrozen = 0;         ///< flows on the link whose rate is not yet fixed
  };

  /// A projected completion in the lazy min-heap completions_.
  struct Completion {
    core::Time time;
    FlowId flow = 0;
    std::uint64_t version = 0;
  };

  /// A link's fair share in the min-heap share_heap_ of one progressive filling; a lower
  /// bound of the link's current share (re-keyed when popped stale).
  struct Share {
    double share = 0.0;               ///< bytes/s per unfrozen flow
    hw::LinkId link = 0;
  };

  /// Checks that time does not go backwards and moves now_ to `now`.
  void advance_clock(core::Time now);
  /// Checks that `links` is non-empty, in range and free of repeats.
  void check_links(const std::vector<hw::LinkId>& links);
  /// Brings remaining_bytes from `updated` to `now` at the current rate.
  static void advance_flow(FlowState& flow, core::Time now);
  /// Whether what is left of the flow is floating-point residue (or nothing).
  [[nodiscard]] static bool is_done(const FlowState& flow);
  /// A recycled or new slot for flow `id`, registered in slot_of_.
  Slot allocate_slot(FlowId id);
  /// Unregisters the slot's flow and returns the slot to free_slots_.
  void release_slot(Slot slot);
  /// Appends the slot to the flow list of each of its links.
  void attach(Slot slot);
  /// Swap-removes the slot from the flow list of each of its links.
  void detach(Slot slot);
  /// Recomputes rates and projections of the component reachable from `seeds` at `now`.
  void reshare(const std::vector<hw::LinkId>& seeds, core::Time now);
  /// Fills component_links_ and component_flows_ with everything connected to `seeds`.
  void collect_component(const std::vector<hw::LinkId>& seeds);
  /// Max-min fair rates for component_flows_ (water-filling over component_links_).
  void progressive_filling();
  /// residual / unfrozen of a link with unfrozen flows, in bytes/s.
  [[nodiscard]] static double current_share(const LinkState& link);
  /// Gives every unfrozen flow on bottleneck link `link` the rate `share` and freezes it.
  void freeze_bottleneck(hw::LinkId link, double share);
  /// Pushes the slot's projected completion from `now`, invalidating older ones.
  void project(Slot slot, core::Time now);
  void push_completion(const Completion& c);
  /// Drops stale entries from completions_ and re-heapifies.
  void compact_completions();
  /// Whether `c` is the latest projection of a still-active flow.
  [[nodiscard]] bool is_current(const Completion& c) const;
  /// The state of `flow`; checks that it is active.
  [[nodiscard]] const FlowState& active_flow(FlowId flow) const;

  std::vector<LinkState> links_;
  std::vector<FlowState> slots_;
  std::vector<Slot> free_slots_;
  std::vector<Slot> slot_of_;          ///< FlowId -> Slot, kNoSlot once finished
  std::vector<Completion> completions_;  ///< min-heap on (time, flow), with stale entries
  core::Time now_;                     ///< latest time passed to start() or finish()
  std::uint64_t epoch_ = 0;            ///< component walk counter for the marks
  // Scratch reused by every re-share, so a re-share does not allocate in steady state.
  std::vector<hw::LinkId> component_links_;
  std::vector<Slot> component_flows_;
  std::vector<Share> share_heap_;
  std::vector<hw::LinkId> seeds_;
};

}  // namespace gppsim::engine
