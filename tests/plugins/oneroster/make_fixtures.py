"""Writes the OneRoster fixture packages (run once; the files are committed).

Written from the OneRoster 1.0, 1.1 and 1.2 CSV bindings, with the quirks real exports
have: a BOM, CRLF, headers in another order and case, extension columns, empty trailing
header cells, blank cells, month-first dates, a password column and a parent's contacts.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent / "packages"


def write(
    folder: Path, name: str, lines: list[str], *, bom: bool = False, crlf: bool = False
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    end = "\r\n" if crlf else "\n"
    data = end.join(lines) + end
    (folder / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode())


def v1p1() -> None:
    f = HERE / "v1p1"
    write(
        f,
        "manifest.csv",
        [
            "propertyName,value",
            "manifest.version,1.0",
            "oneroster.version,1.1",
            "file.academicSessions,bulk",
            "file.categories,absent",
            "file.classes,bulk",
            "file.classResources,absent",
            "file.courses,bulk",
            "file.courseResources,absent",
            "file.demographics,bulk",
            "file.enrollments,bulk",
            "file.lineItems,absent",
            "file.orgs,bulk",
            "file.resources,absent",
            "file.results,absent",
            "file.users,bulk",
            "source.systemName,Example SIS",
            "source.systemCode,",
        ],
        crlf=True,
    )
    write(
        f,
        "orgs.csv",
        [
            "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
            "d1,active,2026-08-01T00:00:00Z,Riverside District,district,RD,",
            "s1,active,2026-08-01T00:00:00Z,Riverside High,school,RH,d1",
            "s2,,2026-08-01T00:00:00Z,Hillview Middle,school,HM,d1",
        ],
        bom=True,
        crlf=True,
    )
    write(
        f,
        "academicSessions.csv",
        [
            "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear",
            "y2026,active,,2026-27,schoolYear,2026-08-01,2027-06-30,,2027",
            "t1,active,,Fall 2026,term,8/1/2026,12/20/2026,y2026,2027",
            "t2,active,,Spring 2027,term,2027-01-05,2027-06-30,y2026,2027",
        ],
    )
    write(
        f,
        "Courses.csv",
        [
            "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes",
            'c-bio,active,,y2026,Biology,BIO,"09,10",s1,Science,',
            "c-alg,active,,y2026,Algebra I,ALG,09,s1,Mathematics,",
            "c-art,active,,y2026,Art,ART,07,s2,Art,",
        ],
    )
    # Columns in another order and case, extension and metadata columns, a trailing empty
    # header cell (Excel), a tobedeleted class.
    write(
        f,
        "CLASSES.csv",
        [
            "SourcedID,Title,STATUS,classcode,courseSourcedId,schoolSourcedId,termSourcedIds,periods,metadata.room,ext_colour,dateLastModified,classType,location,grades,subjects,subjectCodes,",
            "cl-bio1,Biology 1,active,BIO-1,c-bio,s1,t1,1,Lab 2,green,,scheduled,Lab 2,09,,,",
            'cl-bio2,Biology 2,,BIO-2,c-bio,s1,"t1,t2","2,3",Lab 3,,,scheduled,,09,,,',
            "cl-alg1,Algebra,active,ALG-1,c-alg,s1,t2,4,,,,scheduled,,09,,,",
            "cl-art1,Art,active,ART-1,c-art,s2,t1,5,,,,scheduled,,07,,,",
            "cl-old,Old Class,tobedeleted,OLD,c-bio,s1,t1,6,,,,scheduled,,09,,,",
        ],
        bom=True,
    )
    write(
        f,
        "users.csv",
        [
            "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password",
            "u-s1,active,,true,s1,student,ann.lee,{LDAP:alee},Ann,Lee,,1001,ann.lee@riverside.example,,,u-p1,09,Secr3t-CANARY-pw",
            'u-s2,active,,TRUE,s1,student,ben.ode,"{LDAP:bode},{Fed:77}",Ben,Ode,,1002,ben.ode@riverside.example,,,,09,',
            "u-s3,,,,s1,student,cara.diaz,{LDAP:cdiaz},Cara,Díaz,,1003,cara.diaz@riverside.example,,,,09,",
            "u-s4,active,,true,s1,student,,,Dan,Noname,,1004,dan@riverside.example,,,,09,",
            "u-s5,active,,false,s1,student,eve.hart,,Eve,Hart,,1005,,,,,09,",
            "u-s6,active,,true,s2,student,fin.gale,,Fin,Gale,,2001,fin.gale@hillview.example,,,,07,",
            "u-d1,active,,true,s1,student,sam.same,,Sam,One,,1006,,,,,09,",
            "u-d2,active,,true,s1,student,sam.same,,Sam,Two,,1007,,,,,09,",
            'u-t1,active,,true,"s1,s2",teacher,mr.grant,{LDAP:jgrant},John,Grant,,T1,j.grant@riverside.example,,,,,Secr3t-CANARY-pw',
            "u-t2,active,,true,s1,teacher,ms.holt,,Hana,Holt,,T2,h.holt@riverside.example,,,,,",
            "u-a1,active,,true,s1,aide,ali.aide,,Ali,Aide,,A1,,,,,,",
            "u-p1,active,,true,s1,parent,pat.parent,,Pat,Lee,,P1,parent-CANARY@home.example,+1555CANARY1,+1555CANARY2,u-s1,,",
        ],
        crlf=True,
    )
    write(
        f,
        "enrollments.csv",
        [
            "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate",
            "e1,active,,cl-bio1,s1,u-s1,student,false,,",
            "e2,active,,cl-bio1,s1,u-s2,student,,,",
            "e3,active,,cl-bio1,s1,u-t1,teacher,true,2026-08-01,",
            "e4,active,,cl-bio1,s1,u-a1,aide,false,,",
            "e5,active,,cl-bio2,s1,u-s2,student,false,,",
            "e6,,,cl-bio2,s1,u-s3,Student,false,,",
            "e7,active,,cl-bio2,s1,u-t2,teacher,false,,",
            "e8,active,,cl-bio2,s1,u-t1,teacher,FALSE,,",
            "e9,active,,cl-alg1,s1,u-s1,student,false,,",
            "e10,active,,cl-art1,s2,u-s6,student,false,,",
            "e11,active,,cl-bio1,s1,u-s4,student,false,,",
            "e12,active,,cl-bio1,s1,u-s5,student,false,,",
            "e13,active,,cl-bio1,s1,u-d1,student,false,,",
            "e14,active,,cl-bio2,s1,u-d2,student,false,,",
            "e15,active,,cl-nope,s1,u-s1,student,false,,",
            "e16,active,,cl-bio1,s1,u-ghost,student,false,,",
            "e1,active,,cl-art1,s2,u-s1,student,false,,",
            "e18,tobedeleted,,cl-bio2,s1,u-s1,student,false,,",
            "e19,active,,cl-old,s1,u-s2,student,false,,",
            "",
        ],
    )
    write(
        f,
        "demographics.csv",
        [
            "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus",
            "u-s1,active,,2011-03-04,female,false,false,false,false,true,false,false,US,OR,Portland,",
        ],
    )


def v1p0() -> None:
    """1.0: no manifest, userId and termSourcedId in the singular."""
    f = HERE / "v1p0"
    write(
        f,
        "orgs.csv",
        [
            "sourcedId,status,dateLastModified,name,type,identifier,metadata.classification,metadata.gender,metadata.boarding,parentSourcedId",
            "s1,,,Riverside High,school,RH,,,,",
        ],
    )
    write(
        f,
        "academicSessions.csv",
        [
            "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId",
            "t1,,,Fall 2026,term,2026-08-01,2026-12-20,",
        ],
    )
    write(
        f,
        "courses.csv",
        [
            "sourcedId,status,dateLastModified,schoolYearId,title,courseCode,grade,orgSourcedId,subjects",
            "c-bio,,,,Biology,BIO,09,s1,Science",
        ],
    )
    write(
        f,
        "classes.csv",
        [
            "sourcedId,status,dateLastModified,title,grade,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedId,subjects",
            "cl-bio1,,,Biology 1,09,c-bio,BIO-1,scheduled,Lab 2,s1,t1,Science",
        ],
    )
    write(
        f,
        "users.csv",
        [
            "sourcedId,status,dateLastModified,orgSourcedIds,role,username,userId,givenName,familyName,identifier,email,sms,phone,agents",
            "u-s1,,,s1,student,ann.lee,alee,Ann,Lee,1001,ann.lee@riverside.example,,,",
            "u-t1,,,s1,teacher,mr.grant,jgrant,John,Grant,T1,j.grant@riverside.example,,,",
        ],
    )
    write(
        f,
        "enrollments.csv",
        [
            "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary",
            "e1,,,cl-bio1,s1,u-s1,student,false",
            "e3,,,cl-bio1,s1,u-t1,teacher,true",
        ],
    )


def v1p2() -> None:
    """1.2: roles.csv and userProfiles.csv, users without a role column."""
    f = HERE / "v1p2"
    write(
        f,
        "manifest.csv",
        [
            "propertyName,value",
            "manifest.version,1.0",
            "oneroster.version,1.2",
            "file.academicSessions,bulk",
            "file.classes,bulk",
            "file.courses,bulk",
            "file.demographics,absent",
            "file.enrollments,bulk",
            "file.orgs,bulk",
            "file.roles,bulk",
            "file.userProfiles,bulk",
            "file.users,bulk",
        ],
    )
    write(
        f,
        "orgs.csv",
        [
            "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
            "s1,active,2026-08-01T00:00:00.000Z,Riverside High,school,RH,",
        ],
    )
    write(
        f,
        "academicSessions.csv",
        [
            "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear",
            "t1,active,,Fall 2026,term,2026-08-01,2026-12-20,,2027",
        ],
    )
    write(
        f,
        "courses.csv",
        [
            "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes,resourceSourcedIds",
            "c-bio,active,,,Biology,BIO,09,s1,,,",
        ],
    )
    write(
        f,
        "classes.csv",
        [
            "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods,resourceSourcedIds",
            "cl-bio1,active,,Biology 1,09,c-bio,BIO-1,scheduled,,s1,t1,,,1,",
            "cl-bio2,active,,Biology 2,09,c-bio,BIO-2,scheduled,,s1,t1,,,2,",
        ],
    )
    write(
        f,
        "users.csv",
        [
            "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,resourceSourcedIds,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns",
            "u-s1,active,,true,ann.lee,{LDAP:alee},Ann,Lee,,1001,ann.lee@riverside.example,,,,09,Secr3t-CANARY-pw,,,,,,s1,",
            "u-s2,active,,true,ben.ode,,Ben,Ode,,1002,,,,,09,,,,,,,s1,",
            "u-t1,active,,true,mr.grant,,John,Grant,,T1,,,,,,,,,,,,s1,",
            "u-t2,active,,true,ms.holt,,Hana,Holt,,T2,,,,,,,,,,,,s1,",
            "u-x1,active,,true,pro.ctor,,Pat,Proctor,,X1,,,,,,,,,,,,s1,",
            "u-p1,active,,true,pat.parent,,Pat,Lee,,P1,parent-CANARY@home.example,+1555CANARY1,+1555CANARY2,u-s1,,,,,,,,,",
        ],
    )
    write(
        f,
        "roles.csv",
        [
            "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId",
            "r1,active,,u-s1,primary,student,,,s1,",
            "r2,active,,u-s2,primary,student,,,s1,",
            "r3,active,,u-t1,primary,teacher,,,s1,",
            "r4,active,,u-t2,primary,teacher,,,s1,",
            "r5,active,,u-x1,primary,proctor,,,s1,",
            "r6,active,,u-p1,primary,parent,,,s1,",
        ],
    )
    write(
        f,
        "userProfiles.csv",
        [
            "sourcedId,status,dateLastModified,userSourcedId,profileType,vendorId,applicationId,description,credentialType,username,password",
            "up1,active,,u-s1,lms,v1,app1,,password,ann.lee,Secr3t-CANARY-pw",
        ],
    )
    write(
        f,
        "enrollments.csv",
        [
            "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate",
            "e1,active,,cl-bio1,s1,u-s1,student,false,,",
            "e2,active,,cl-bio2,s1,u-s2,student,false,,",
            "e3,active,,cl-bio1,s1,u-t1,teacher,true,,",
            "e4,active,,cl-bio2,s1,u-t2,teacher,false,,",
            "e5,active,,cl-bio2,s1,u-t1,teacher,false,,",
            "e6,active,,cl-bio1,s1,u-x1,proctor,false,,",
        ],
    )


if __name__ == "__main__":
    v1p0()
    v1p1()
    v1p2()
