package io.github.onnxprune.pipeline;

import java.nio.file.Path;

/**
 * An archive a run puts the pruned models into, and where in it the content of target/classes lives.
 *
 * @param archive the jar or war, absolute
 * @param root "" for a plain or shaded jar, {@code BOOT-INF/classes/} or {@code WEB-INF/classes/} (see
 *     {@link io.github.onnxprune.ship.ArchiveLayout})
 */
public record ShipTarget(Path archive, String root) {

    public ShipTarget {
        archive = archive.toAbsolutePath().normalize();
    }
}
