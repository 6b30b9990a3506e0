#include "audit/verify_tree.h"

#include <algorithm>
#include <bit>

#include "journal/merkle.h"
#include "records/verify_sha.h"

namespace custos::audit {
namespace {

bool IsCompleteSubtree(uint64_t begin, uint64_t end) {
  const uint64_t n = end - begin;
  return n != 0 && std::has_single_bit(n) && begin % n == 0;
}

}  // namespace

CheckpointTree::CheckpointTree(std::vector<uint64_t> sizes) : sizes_(std::move(sizes)) {
  const size_t count = sizes_.size();
  plans_.resize(count);
  proofs_.resize(count);
  filled_.resize(count);
  roots_.resize(count);
  reached_.assign(count, false);
  for (size_t i = 1; i < count; ++i) {
    // RFC 9162 §2.1.4.1, walked as journal::MerkleTree::ConsistencyProof
    // walks it, keeping the leaf ranges instead of their hashes.
    const uint64_t old_size = sizes_[i - 1];
    const uint64_t new_size = sizes_[i];
    std::vector<Range>& plan = plans_[i];
    if (old_size == 0 || old_size >= new_size) continue;
    uint64_t lo = 0, hi = new_size;
    bool whole_old_tree = true;
    while (true) {
      const uint64_t n = hi - lo, m = old_size - lo;
      if (m == n) {
        if (!whole_old_tree) plan.push_back({lo, hi});
        break;
      }
      const uint64_t k = std::bit_floor(n - 1);
      if (m <= k) {
        plan.push_back({lo + k, hi});
        hi = lo + k;
      } else {
        plan.push_back({lo, lo + k});
        lo += k;
        whole_old_tree = false;
      }
    }
    std::reverse(plan.begin(), plan.end());
    proofs_[i].resize(plan.size());
    filled_[i].assign(plan.size(), false);
    for (size_t p = 0; p < plan.size(); ++p) {
      const Range& r = plan[p];
      if (!IsCompleteSubtree(r.begin, r.end)) continue;  // right edge: at the checkpoint
      const int level = std::countr_zero(r.end - r.begin);
      if (needs_.size() <= static_cast<size_t>(level)) needs_.resize(level + 1);
      needs_[level].push_back({r.begin >> level, i, p});
    }
  }
  for (auto& level : needs_) {
    std::sort(level.begin(), level.end(),
              [](const Need& a, const Need& b) { return a.index < b.index; });
  }
  need_cursor_.assign(needs_.size(), 0);
  while (next_checkpoint_ < count && sizes_[next_checkpoint_] == 0) ReachedCheckpoint();
}

CheckpointTree::~CheckpointTree() = default;

// Subtrees of at least 2^kMinSubtree leaves go level by level; 2^kMaxSubtree
// bounds the scratch levels (the verifier hands over 4,096 at a time).
constexpr int kMinSubtree = 2;
constexpr int kMaxSubtree = 12;

void CheckpointTree::Append(std::span<const Hash256> leaf_hashes) {
  size_t i = 0;
  while (i < leaf_hashes.size()) {
    const int m = SubtreeLevel(leaf_hashes.size() - i);
    if (m < kMinSubtree) {
      AppendOne(leaf_hashes[i++]);
      continue;
    }
    const size_t n = size_t{1} << m;
    AppendSubtree(leaf_hashes.subspan(i, n), m);
    i += n;
  }
}

int CheckpointTree::SubtreeLevel(size_t available) const {
  int m = std::min<int>(kMaxSubtree, std::bit_width(available) - 1);
  while (m > 0 && (size_ & ((uint64_t{1} << m) - 1)) != 0) --m;
  // The next checkpoint not reached is past Size(); one strictly inside
  // the subtree needs the peaks at its size.
  if (next_checkpoint_ < sizes_.size()) {
    while (m > 0 && sizes_[next_checkpoint_] < size_ + (uint64_t{1} << m)) --m;
  }
  return m;
}

void CheckpointTree::AppendOne(const Hash256& leaf_hash) {
  Captured(0, size_, leaf_hash);
  PushPeak(leaf_hash, 0, size_);
}

void CheckpointTree::AppendSubtree(std::span<const Hash256> leaves, int m) {
  const uint64_t first = size_;
  for (size_t j = 0; j < leaves.size(); ++j) Captured(0, first + j, leaves[j]);
  std::vector<Hash256>* from = nullptr;
  size_t count = leaves.size();
  for (int level = 1; level <= m; ++level) {
    std::vector<Hash256>& to = level_[level % 2];
    to.resize(count / 2);
    records::VerifyNodeHashes(from == nullptr ? leaves.data() : from->data(), count / 2, to.data());
    count /= 2;
    for (size_t j = 0; j < count; ++j) Captured(level, (first >> level) + j, to[j]);
    from = &to;
  }
  PushPeak((*from)[0], m, first + leaves.size() - 1);
}

void CheckpointTree::PushPeak(const Hash256& h, int level, uint64_t last) {
  peaks_.push_back(h);
  peak_levels_.push_back(level);
  // Merge equal-sized neighbours: each merge completes the subtree of
  // 2^level leaves that ends at `last`.
  while (peaks_.size() >= 2 && peak_levels_[peaks_.size() - 1] == peak_levels_[peaks_.size() - 2]) {
    const size_t top = peaks_.size() - 1;
    const int up = peak_levels_[top] + 1;
    const Hash256 node = journal::HashChildren(peaks_[top - 1], peaks_[top]);
    peaks_.pop_back();
    peak_levels_.pop_back();
    peaks_.back() = node;
    peak_levels_.back() = up;
    Captured(up, last >> up, node);
  }
  size_ = last + 1;
  while (next_checkpoint_ < sizes_.size() && sizes_[next_checkpoint_] == size_) {
    ReachedCheckpoint();
  }
}

void CheckpointTree::Captured(int level, uint64_t index, const Hash256& h) {
  if (static_cast<size_t>(level) >= needs_.size()) return;
  const std::vector<Need>& needs = needs_[level];
  size_t& cursor = need_cursor_[level];
  while (cursor < needs.size() && needs[cursor].index < index) ++cursor;
  while (cursor < needs.size() && needs[cursor].index == index) {
    const Need& need = needs[cursor++];
    proofs_[need.checkpoint][need.position] = h;
    filled_[need.checkpoint][need.position] = true;
  }
}

Result<Hash256> CheckpointTree::SuffixHash(uint64_t begin) const {
  if (begin >= size_) return Status::Internal("empty range of the tree");
  // The peaks covering [begin, size) have strictly decreasing sizes, so the
  // RFC's split of that range falls after its first peak, recursively.
  uint64_t start = size_;
  size_t first = peaks_.size();
  while (first > 0 && start > begin) {
    --first;
    start -= uint64_t{1} << peak_levels_[first];
  }
  if (start != begin) return Status::Internal("range does not start at a subtree boundary");
  Hash256 h = peaks_.back();
  for (size_t j = peaks_.size() - 1; j-- > first;) h = journal::HashChildren(peaks_[j], h);
  return h;
}

void CheckpointTree::ReachedCheckpoint() {
  const size_t i = next_checkpoint_++;
  reached_[i] = true;
  if (size_ == 0) {
    roots_[i] = journal::EmptyRoot();
  } else {
    roots_[i] = *SuffixHash(0);  // 0 is always a boundary
  }
  for (size_t p = 0; p < plans_[i].size(); ++p) {
    const Range& r = plans_[i][p];
    if (IsCompleteSubtree(r.begin, r.end) || r.end != size_) continue;
    auto h = SuffixHash(r.begin);
    if (!h.ok()) continue;  // left unfilled: ConsistencyProof reports it
    proofs_[i][p] = *h;
    filled_[i][p] = true;
  }
}

Result<Hash256> CheckpointTree::Root(size_t i) const {
  if (i >= sizes_.size() || !reached_[i]) {
    return Status::InvalidArgument("the tree has not reached that checkpoint");
  }
  return roots_[i];
}

Result<std::vector<Hash256>> CheckpointTree::ConsistencyProof(size_t i) const {
  if (i == 0 || i >= sizes_.size() || !reached_[i]) {
    return Status::InvalidArgument("the tree has not reached that checkpoint");
  }
  for (bool f : filled_[i]) {
    if (!f) return Status::Internal("a consistency proof hash was not captured");
  }
  return proofs_[i];
}

}  // namespace custos::audit
