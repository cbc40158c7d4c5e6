# lists_dicts.py - the stock python3 workload: large lists and dicts built,
# sorted and reshaped, with deterministic output (fixed seed, sorted prints).
import hashlib
import json
import random

rng = random.Random(20240601)
nums = [rng.randrange(10**9) for _ in range(200_000)]
words = ["".join(rng.choice("abcdefghij") for _ in range(rng.randrange(1, 12))) for _ in range(60_000)]

counts = {}
for w in words:
    counts[w] = counts.get(w, 0) + 1
by_count = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
print("distinct words", len(counts))
print("top", by_count[:5])

nums.sort()
print("min max median", nums[0], nums[-1], nums[len(nums) // 2])
buckets = {}
for n in nums:
    buckets.setdefault(n % 997, []).append(n)
print("buckets", len(buckets), sum(len(v) for v in buckets.values()))

# tuples, nested containers, string joins, list growth and shrinkage
pairs = sorted(zip(words, nums), key=lambda p: (p[1] % 1000, p[0]))
text = json.dumps({k: v for k, v in by_count[:2000]}, sort_keys=True)
back = json.loads(text)
print("json", len(text), back == dict(by_count[:2000]))
stack = []
for i in range(100_000):
    stack.append(str(i) * (i % 7))
    if i % 3 == 0:
        stack.pop(0 if i % 2 else -1)
print("stack", len(stack), sum(map(len, stack)))

h = hashlib.sha256()
for w, n in pairs[:50_000]:
    h.update(w.encode())
    h.update(n.to_bytes(8, "little"))
print("digest", h.hexdigest())
