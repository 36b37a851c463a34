"""Brute force over the block paths of small DenseNAS graphs, the reference of the tests."""
import torch


def random_graph(num_nodes, max_connections, generator):
    """A random DAG ``0 → … → num_nodes - 1`` with transition probabilities per node."""
    probs = {}
    for i in range(num_nodes - 1):
        outs = list(range(i + 1, min(i + 1 + max_connections, num_nodes)))
        p = torch.softmax(torch.randn(len(outs), generator=generator, dtype=torch.float64), 0)
        probs.update({(i, j): p[k] for k, j in enumerate(outs)})
    return probs


def all_paths(num_nodes, probs):
    def walk(path):
        if path[-1] == num_nodes - 1:
            yield path
            return
        for (i, j) in probs:
            if i == path[-1]:
                yield from walk(path + [j])

    return list(walk([0]))


def path_prob(path, probs):
    p = 1.0
    for edge in zip(path, path[1:]):
        p = p * probs[edge]
    return p
