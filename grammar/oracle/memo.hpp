// The oracle's per-call memory (grammar/oracle/oracle.cpp only): MemoTable, the (rule, offset)
// memo as an open-addressing table emptied in O(1), and Scratch, vectors borrowed from a pool.
// Both exist so that a match allocates nothing per memo entry or per element evaluated.
// Invariants: the table is at most half full; a Scratch returns its vector to the pool.
// Depends on: the standard library only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace smtpd::oracle::detail {

using Ends = std::vector<std::uint32_t>; ///< end offsets; sorted and unique where it matters

/// (rule << 32 | offset) -> an index: open addressing with linear probing, emptied in O(1) by
/// moving to a new epoch. No allocation per entry (the hot path of every match).
class MemoTable {
  public:
    void clear() {
        used_ = 0;
        if (++epoch_ == 0) {
            std::fill(slots_.begin(), slots_.end(), Slot{});
            epoch_ = 1;
        }
    }

    /// The index stored for `key`; if there is none, stores `fresh` and sets `inserted`.
    std::uint32_t find_or_insert(std::uint64_t key, std::uint32_t fresh, bool& inserted) {
        if (2 * (used_ + 1) > slots_.size()) {
            grow();
        }
        Slot& slot = probe(slots_, key);
        inserted = slot.epoch != epoch_;
        if (inserted) {
            slot = Slot{key, epoch_, fresh};
            ++used_;
        }
        return slot.value;
    }

  private:
    struct Slot {
        std::uint64_t key = 0;
        std::uint32_t epoch = 0; ///< the slot is in use iff epoch == epoch_
        std::uint32_t value = 0;
    };
    std::vector<Slot> slots_ = std::vector<Slot>(1024);
    std::uint32_t epoch_ = 1;
    std::size_t used_ = 0;

    // The slot holding `key`, or the empty one where it belongs (slots.size() is a power of 2).
    Slot& probe(std::vector<Slot>& slots, std::uint64_t key) const {
        std::size_t const mask = slots.size() - 1;
        for (std::size_t i = (key * 0x9E3779B97F4A7C15U) >> 20U;; ++i) {
            Slot& slot = slots[i & mask];
            if (slot.epoch != epoch_ || slot.key == key) {
                return slot;
            }
        }
    }

    void grow() {
        std::vector<Slot> bigger(2 * slots_.size());
        for (Slot const& slot : slots_) {
            if (slot.epoch == epoch_) {
                probe(bigger, slot.key) = slot;
            }
        }
        slots_ = std::move(bigger);
    }
};

/// A vector borrowed from a pool, so that the hot path does not allocate.
class Scratch {
  public:
    explicit Scratch(std::vector<Ends>& pool) : pool_(pool) {
        if (!pool_.empty()) {
            ends_ = std::move(pool_.back());
            pool_.pop_back();
            ends_.clear();
        }
    }
    ~Scratch() { pool_.push_back(std::move(ends_)); }
    Scratch(Scratch const&) = delete;
    Scratch& operator=(Scratch const&) = delete;
    Ends& operator*() { return ends_; }
    Ends* operator->() { return &ends_; }

  private:
    std::vector<Ends>& pool_;
    Ends ends_;
};

} // namespace smtpd::oracle::detail
