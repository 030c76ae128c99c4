package io.github.onnxprune.prune.nodes;

/**
 * The output units of one producing layer, and a union-find node: layers whose outputs are summed, multiplied
 * or otherwise combined element-wise must lose the same units, so their spaces are joined into one group.
 */
final class Space {

    final int id;
    final int size;
    final LayerInfo layer;
    /** Per unit: sum of |w| (L1) or of w^2 (L2) over the producing layer's weights for that unit. */
    final double[] in;
    /** Per unit: product of the effective scales |gamma| / sqrt(var + eps) of BatchNormalization nodes on it. */
    final double[] scale;
    /** Per unit: sum of |w| or w^2 over the weights that read the unit in the next layers. */
    final double[] out;
    int readers;
    private Space parent = this;
    private String blockReason;
    /** Units that can only go together (a head's columns); kept on the root. */
    private int granule = 1;

    Space(int id, int size, LayerInfo layer) {
        this.id = id;
        this.size = size;
        this.layer = layer;
        this.in = new double[size];
        this.scale = new double[size];
        java.util.Arrays.fill(scale, 1.0);
        this.out = new double[size];
    }

    Space root() {
        Space node = this;
        while (node.parent != node) {
            node.parent = node.parent.parent;
            node = node.parent;
        }
        return node;
    }

    /** Joins two groups; the earlier space stays the root so that results do not depend on visiting order. */
    static void union(Space a, Space b) {
        Space ra = a.root();
        Space rb = b.root();
        if (ra == rb) {
            return;
        }
        Space root = ra.id < rb.id ? ra : rb;
        Space child = root == ra ? rb : ra;
        child.parent = root;
        if (root.blockReason == null) {
            root.blockReason = child.blockReason;
        }
        if (root.granule != child.granule && root.granule != 1 && child.granule != 1) {
            root.block("its units are split into heads of " + root.granule + " and of " + child.granule
                    + " by different Reshape nodes");
        }
        root.granule = Math.max(root.granule, child.granule);
    }

    /** Units per head: units of one head are removed together. */
    int granule() {
        return root().granule;
    }

    /**
     * Makes the group's units go in runs of {@code units} (heads of an attention block); false when the group
     * is already split otherwise or its size is not a multiple.
     */
    boolean splitInto(int units) {
        Space root = root();
        if (root.granule == units) {
            return true;
        }
        if (root.granule != 1 || units <= 0 || root.size % units != 0) {
            return false;
        }
        root.granule = units;
        return true;
    }

    /** Marks the whole group unprunable; the first reason found is kept. */
    void block(String reason) {
        Space root = root();
        if (root.blockReason == null) {
            root.blockReason = reason;
        }
    }

    String blockReason() {
        return root().blockReason;
    }
}
