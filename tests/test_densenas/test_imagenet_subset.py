"""tools/dataset_converters/imagenet_subset.py: the 100-class search set of DenseNAS supp.
§A.1 as lists that
mmpretrain's stock ImageNet dataset reads."""
import os.path as osp

from mmpretrain.datasets import ImageNet

from mmnas.datasets.tiny import make_tiny_imagenet


def test_subset_lists_relabel_the_chosen_classes(tmp_path, run_tool, capsys):
    root = str(tmp_path / 'imagenet')
    make_tiny_imagenet(root, num_classes=6, num_train_per_class=3, num_val_per_class=2,
                       min_size=16, max_size=16)
    assert run_tool('dataset_converters/imagenet_subset', root, '--num-classes', 4,
                    '--suffix', '4cls') == 0
    classes = open(osp.join(root, 'meta', 'classes_4cls.txt')).read().split()
    synset_of_label = {int(label): path.split('/')[0] for path, label in (
        line.split() for line in open(osp.join(root, 'meta', 'train.txt')))}
    assert len(set(classes)) == 4 and set(classes) <= set(synset_of_label.values())
    train = ImageNet(data_root=root, split='train', ann_file='meta/train_4cls.txt',
                     classes=osp.join(root, 'meta', 'classes_4cls.txt'))
    assert len(train) == 4 * 3 and train.CLASSES == tuple(classes)
    for i in range(len(train)):
        info = train.get_data_info(i)
        # The image's class folder is the synset its new label names.
        assert osp.basename(osp.dirname(info['img_path'])) == classes[info['gt_label']]
    val = open(osp.join(root, 'meta', 'val_4cls.txt')).read().split('\n')
    original = dict(line.split() for line in open(osp.join(root, 'meta', 'val.txt')))
    kept = [line.split() for line in val if line]
    assert len(kept) == 4 * 2
    assert all(synset_of_label[int(original[path])] == classes[int(label)]
               for path, label in kept)

    assert run_tool('dataset_converters/imagenet_subset', root, '--num-classes', 7) == 2
    assert '--num-classes 7: expected 1..6' in capsys.readouterr().err
