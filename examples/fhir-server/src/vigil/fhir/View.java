package vigil.fhir;

import java.util.List;

/** Read access to resources: the committed store, or the store plus a batch's pending changes. */
interface View {
    /** The newest version (possibly a deletion), or null if the resource never existed. */
    Version current(String type, String id);

    /** All versions of one resource, oldest first; empty if it never existed. */
    List<Version> history(String type, String id);

    /** The newest version of every resource of a type that is not deleted, in creation order. */
    List<Version> live(String type);

    default Version version(String type, String id, int number) {
        List<Version> versions = history(type, id);
        return number >= 1 && number <= versions.size() ? versions.get(number - 1) : null;
    }
}
