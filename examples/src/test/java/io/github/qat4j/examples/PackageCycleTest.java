package io.github.qat4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of every module's main sources form no cycle, and each has a {@code package-info.java}.
 * Examples depends on every module, so its test sees the whole reactor; a package depends on another
 * where its code (comments and strings left out) names one of that package's classes by its qualified
 * name, as every {@code import} does.
 */
class PackageCycleTest {
    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern COMMENT_OR_STRING =
            Pattern.compile("/\\*.*?\\*/|//[^\\n]*|\"(\\\\.|[^\"\\\\])*\"|'(\\\\.|[^'\\\\])'", Pattern.DOTALL);
    private static final Pattern QUALIFIED = Pattern.compile("\\b(io\\.github\\.qat4j(?:\\.[a-z]\\w*)+)\\.[A-Z]");

    @Test
    void packagesFormNoCycle() throws IOException {
        Map<String, Set<String>> dependsOn = dependencies();
        assertTrue(dependsOn.containsKey("io.github.qat4j.layers"), "sources not found: " + dependsOn.keySet());
        List<Set<String>> cycles = new ArrayList<>();
        for (Set<String> component : stronglyConnected(dependsOn)) {
            if (component.size() > 1) {
                cycles.add(component);
            }
        }
        assertEquals(List.of(), cycles, "package cycles; dependencies: " + dependsOn);
    }

    @Test
    void everyPackageSaysWhatLivesThere() throws IOException {
        Set<String> undocumented = new TreeSet<>();
        for (Path f : sources()) {
            if (!Files.exists(f.resolveSibling("package-info.java"))) {
                undocumented.add(f.getParent().toString());
            }
        }
        assertEquals(Set.of(), undocumented, "packages without a package-info.java");
    }

    /** Package -> the other project packages its main sources use. */
    private static Map<String, Set<String>> dependencies() throws IOException {
        Map<String, Set<String>> uses = new TreeMap<>();
        for (Path f : sources()) {
            String source = Files.readString(f);
            Matcher p = PACKAGE.matcher(source);
            if (!p.find()) {
                continue;
            }
            Set<String> used = uses.computeIfAbsent(p.group(1), k -> new TreeSet<>());
            Matcher q = QUALIFIED.matcher(COMMENT_OR_STRING.matcher(source).replaceAll(""));
            while (q.find()) {
                used.add(q.group(1));
            }
        }
        // Generated sources (the ONNX protobuf classes) are no package of the sources: leave them out.
        uses.forEach((pkg, used) -> {
            used.retainAll(uses.keySet());
            used.remove(pkg);
        });
        return uses;
    }

    /** The project's main sources in every module of the reactor (the parent of this module's directory). */
    private static List<Path> sources() throws IOException {
        Path root = Path.of("").toAbsolutePath().getParent();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            for (Path m : modules.map(d -> d.resolve("src/main/java/io/github/qat4j"))
                    .filter(Files::isDirectory)
                    .toList()) {
                try (Stream<Path> walk = Files.walk(m)) {
                    walk.filter(f -> f.toString().endsWith(".java")).forEach(files::add);
                }
            }
        }
        return files;
    }

    /** Tarjan's strongly connected components: a component of more than one package is a cycle. */
    private static List<Set<String>> stronglyConnected(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        List<Set<String>> components = new ArrayList<>();
        for (String v : graph.keySet()) {
            if (!index.containsKey(v)) {
                connect(v, graph, index, low, stack, components);
            }
        }
        return components;
    }

    private static void connect(
            String v,
            Map<String, Set<String>> graph,
            Map<String, Integer> index,
            Map<String, Integer> low,
            Deque<String> stack,
            List<Set<String>> components) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        for (String w : graph.get(v)) {
            if (!index.containsKey(w)) {
                connect(w, graph, index, low, stack, components);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (stack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                component.add(w);
            } while (!w.equals(v));
            components.add(component);
        }
    }
}
