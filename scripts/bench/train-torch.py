# PyTorch's figure on the reference configuration of shared/notes/training-engine.md, on the
# rows reference-rows.ts wrote (the rows and embedding ids the project trains on):
#   /usr/bin/python3 scripts/bench/train-torch.py --rows PREFIX --threads N --epochs N
# One embedding table of all fields (16-dim, SparseAdam: only touched rows, as the project's
# lazy Adam), 4 dense inputs: 132 inputs -> MMoE with 4 experts (132 -> 64 -> 32, ReLU), one
# softmax gate per task, towers 32 -> 16 -> 1, batch 512, Adam lr 2e-3 on the dense part,
# binary cross-entropy summed over the 3 tasks. Prints one JSON line like train-child.ts:
# samples/s of each quarter epoch, peak RSS.
import argparse
import json
import resource
import time

import numpy as np
import torch
from torch import nn

p = argparse.ArgumentParser()
p.add_argument('--rows', required=True)
p.add_argument('--threads', type=int, default=1)
p.add_argument('--epochs', type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)

meta = json.load(open(a.rows + '.json'))
n, C, D, T = meta['n'], meta['catWidth'], meta['dense'], meta['tasks']
cat = torch.from_numpy(np.fromfile(a.rows + '.cat', dtype=np.int32).reshape(n, C).astype(np.int64))
num = torch.from_numpy(np.fromfile(a.rows + '.num', dtype=np.float32).reshape(n, D))
labels = torch.from_numpy(np.fromfile(a.rows + '.labels', dtype=np.float32).reshape(n, T))
EMB, EXPERTS, BATCH = 16, 4, 512


class MMoE(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(meta['tableRows'], EMB, sparse=True)
        nn.init.normal_(self.emb.weight, std=0.05)
        x = C * EMB + D
        self.experts = nn.ModuleList([nn.Sequential(nn.Linear(x, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU()) for _ in range(EXPERTS)])
        self.gates = nn.ModuleList([nn.Linear(x, EXPERTS) for _ in range(T)])
        self.towers = nn.ModuleList([nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 1)) for _ in range(T)])

    def forward(self, ids, dense):
        x = torch.cat([self.emb(ids).flatten(1), dense], 1)
        e = torch.stack([m(x) for m in self.experts], 1)  # [b, experts, 32]
        outs = []
        for g, tower in zip(self.gates, self.towers):
            w = torch.softmax(g(x), 1).unsqueeze(2)
            outs.append(tower((w * e).sum(1)).squeeze(1))
        return torch.stack(outs, 1)


model = MMoE()
sparse = torch.optim.SparseAdam(list(model.emb.parameters()), lr=2e-3)
dense = torch.optim.Adam([q for name, q in model.named_parameters() if not name.startswith('emb.')], lr=2e-3)
loss_fn = nn.BCEWithLogitsLoss(reduction='none')

steps = (n + BATCH - 1) // BATCH
stretch = max(1, steps // 4)
per_stretch = []
for epoch in range(a.epochs):
    order = torch.randperm(n)
    t0, rows = time.perf_counter(), 0
    for s in range(steps):
        idx = order[s * BATCH:(s + 1) * BATCH]
        y = labels[idx]
        mask = (y >= 0).float()
        logits = model(cat[idx], num[idx])
        loss = (loss_fn(logits, y.clamp(min=0)) * mask).sum(0) / mask.sum(0).clamp(min=1)
        sparse.zero_grad()
        dense.zero_grad()
        loss.sum().backward()
        sparse.step()
        dense.step()
        rows += len(idx)
        if (s + 1) % stretch == 0 or s == steps - 1:
            t1 = time.perf_counter()
            per_stretch.append(rows / (t1 - t0))
            t0, rows = t1, 0

print(json.dumps({'perEpoch': per_stretch, 'kernels': f'pytorch {torch.__version__}', 'peakRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, 'trainRows': n}))
